// A WhatsApp chat export as uploaded: the `.txt` itself, or the `.zip` WhatsApp makes "with media".
// A zip is read from memory with yauzl (nothing is unpacked to disk) and checked before anything is
// stored: at most WHATSAPP_IMPORT_MAX_ENTRIES entries, declared sizes adding up to at most
// WHATSAPP_IMPORT_MAX_UNCOMPRESSED_BYTES, no absolute or `..` paths, no encryption; then, while each
// entry is read, its actual bytes are counted against its declared size and the same total (a zip
// that lies about its sizes fails there). Media become attachments through the attachments service,
// which keeps only the last segment of a name, so no path from a zip ever reaches storage.
import { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { InboundConfig } from '../inbound.config.js';
import { AppError } from '../../../lib/errors.js';

export interface ExportMedia {
  /** The entry's name without folders. */
  name: string;
  size: number;
  open(): Promise<Readable>;
}

export interface ChatExport {
  text: string;
  /** Name of the .txt (Android: "WhatsApp Chat with Anna.txt"; iOS: "_chat.txt"). */
  textName: string;
  media: ExportMedia[];
  close(): void;
}

type Limits = Pick<InboundConfig, 'importMaxUncompressedBytes' | 'importMaxEntries'>;

export const refused = (message: string) => AppError.validation({ file: [message] }, 'The file is not a usable WhatsApp chat export');

const IGNORED = /(^|\/)(__MACOSX\/|\.DS_Store$|Thumbs\.db$)/;

export async function readChatExport(content: Buffer, uploadName: string, limits: Limits): Promise<ChatExport> {
  const isZip = content.length >= 4 && content.readUInt32LE(0) === 0x04034b50;
  if (!isZip) {
    if (/\.zip$/i.test(uploadName) || (content.length >= 4 && content.readUInt32LE(0) === 0x06054b50))
      throw refused('The zip archive is empty or damaged');
    return { text: decodeText(content), textName: uploadName, media: [], close() {} };
  }
  return readZip(content, limits);
}

function decodeText(bytes: Buffer): string {
  if (bytes.includes(0)) throw refused('Not a WhatsApp chat export: the file is not text');
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw refused('Not a WhatsApp chat export: the text is not UTF-8');
  }
}

function zipError(e: Error): AppError {
  const m = e.message;
  if (/absolute path|invalid relative path|invalid characters/.test(m))
    return refused(`The zip contains an unsafe path (${m.split(': ')[0]})`);
  if (/too many bytes|size mismatch|not enough bytes|expected/i.test(m))
    return refused('The zip is damaged or lies about the size of an entry');
  return refused(`The zip archive is damaged: ${m}`);
}

async function readZip(content: Buffer, limits: Limits): Promise<ChatExport> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(content, { lazyEntries: true, decodeStrings: true, validateEntrySizes: true, strictFileNames: false }, (err, z) =>
      err ? reject(zipError(err)) : resolve(z!),
    ),
  );
  try {
    if (zip.entryCount > limits.importMaxEntries)
      throw refused(`The zip has ${zip.entryCount} entries; at most ${limits.importMaxEntries} are accepted`);
    const entries = await listEntries(zip);
    let declared = 0;
    for (const e of entries) {
      declared += e.uncompressedSize;
      if (declared > limits.importMaxUncompressedBytes)
        throw refused(`The zip unpacks to more than ${limits.importMaxUncompressedBytes} bytes`);
      if (e.generalPurposeBitFlag & 0x1) throw refused('The zip contains encrypted entries');
    }
    const files = entries.filter((e) => !e.fileName.endsWith('/') && !IGNORED.test(e.fileName));
    const chat = chooseChat(files);
    if (!chat) throw refused('Not a WhatsApp chat export: the zip contains no chat .txt file');

    // One budget for the whole archive, spent as bytes are actually read.
    const budget = { left: limits.importMaxUncompressedBytes };
    const open = (e: Entry) => openEntry(zip, e, budget);
    const text = decodeText(await readAll(await open(chat)));
    return {
      text,
      textName: baseName(chat.fileName),
      media: files.filter((e) => e !== chat).map((e) => ({ name: baseName(e.fileName), size: e.uncompressedSize, open: () => open(e) })),
      close: () => zip.close(),
    };
  } catch (e) {
    zip.close();
    throw e;
  }
}

function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const out: Entry[] = [];
    zip.on('entry', (e: Entry) => {
      out.push(e);
      zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (err: Error) => reject(zipError(err)));
    zip.readEntry();
  });
}

function baseName(path: string): string {
  return path.split('/').pop() ?? path;
}

/** iOS names it `_chat.txt`, Android `WhatsApp Chat with <name>.txt` (localised); otherwise the only .txt. */
function chooseChat(files: Entry[]): Entry | undefined {
  const texts = files.filter((e) => /\.txt$/i.test(e.fileName));
  return (
    texts.find((e) => baseName(e.fileName) === '_chat.txt') ??
    texts.find((e) => /whatsapp/i.test(baseName(e.fileName))) ??
    (texts.length === 1 ? texts[0] : undefined)
  );
}

/**
 * An entry's bytes, opened only when first read (so nothing flows, and nothing can fail unheard, before
 * a consumer is attached), counted against the entry's declared size and the archive's budget.
 */
class EntryReader extends Readable {
  private source?: Readable;
  private started = false;
  private seen = 0;

  constructor(
    private readonly zip: ZipFile,
    private readonly entry: Entry,
    private readonly budget: { left: number },
  ) {
    super();
  }

  override _read(): void {
    if (this.started) {
      this.source?.resume();
      return;
    }
    this.started = true;
    this.zip.openReadStream(this.entry, (err, stream) => {
      if (err || !stream) return this.destroy(zipError(err ?? new Error('unreadable entry')));
      this.source = stream;
      stream.on('data', (chunk: Buffer) => {
        this.seen += chunk.length;
        this.budget.left -= chunk.length;
        if (this.seen > this.entry.uncompressedSize) return this.destroy(refused('The zip is damaged or lies about the size of an entry'));
        if (this.budget.left < 0) return this.destroy(refused('The zip unpacks to more than the accepted size'));
        if (!this.push(chunk)) stream.pause();
      });
      stream.on('end', () => this.push(null));
      stream.on('error', (e: Error) => this.destroy(e instanceof AppError ? e : zipError(e)));
    });
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.source?.destroy();
    done(err);
  }
}

function openEntry(zip: ZipFile, entry: Entry, budget: { left: number }): Promise<Readable> {
  return Promise.resolve(new EntryReader(zip, entry, budget));
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
