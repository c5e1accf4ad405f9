/** `perPage` → `per_page`; `actionItems` → `action_items`. */
export function toSnake(name: string): string {
  return name.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
}

/** `per_page` → `perPage`. */
export function toCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** "per_page" → "Per page", for messages. */
export function label(snakeName: string): string {
  const words = snakeName.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
