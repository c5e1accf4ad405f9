// Page-number pagination shared by every list (api-reference "Pagination"): `page`/`per_page`
// validation, `meta`, and absolute `links` that keep the caller's other parameters.
import { z } from 'zod';

export const pageInput = {
  page: z.number().int().min(1, 'Page must be at least 1').default(1),
  perPage: z.number().int().min(1, 'Per page must be between 1 and 100').max(100, 'Per page must be between 1 and 100').default(20),
};

export const pageOnlyInput = z.object(pageInput);

export interface PageMeta {
  page: number;
  perPage: number;
  total: number;
  totalPages: number;
}

export interface PageLinks {
  first: string;
  last: string;
  prev: string | null;
  next: string | null;
}

export interface Page<T> {
  data: T[];
  meta: PageMeta;
  links: PageLinks;
}

/** `kept` are the other query parameters (snake_case) every link repeats, in order. */
export function pageOf<T>(data: T[], page: number, perPage: number, total: number, base: string, kept: [string, string][] = []): Page<T> {
  const totalPages = Math.ceil(total / perPage);
  const last = Math.max(1, totalPages);
  const url = (n: number) => `${base}?${new URLSearchParams([['page', String(n)], ['per_page', String(perPage)], ...kept])}`;
  return {
    data,
    meta: { page, perPage, total, totalPages },
    links: {
      first: url(1),
      last: url(last),
      prev: page > 1 ? url(Math.min(page - 1, last)) : null,
      next: page < totalPages ? url(page + 1) : null,
    },
  };
}
