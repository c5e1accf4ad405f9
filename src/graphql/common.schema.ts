import type { OutputRef } from '@pothos/core';
import { builder } from './builder.js';
import type { Page, PageLinks, PageMeta } from '../lib/pagination.js';

export const PageMetaRef = builder.objectRef<PageMeta>('PageMeta').implement({
  description: 'Position of a page within a paginated list.',
  fields: (t) => ({
    page: t.exposeInt('page'),
    perPage: t.exposeInt('perPage'),
    total: t.exposeInt('total'),
    totalPages: t.exposeInt('totalPages'),
  }),
});

export const PageLinksRef = builder.objectRef<PageLinks>('PageLinks').implement({
  description: 'Absolute REST URLs of neighbouring pages, keeping every filter of the request.',
  fields: (t) => ({
    first: t.exposeString('first'),
    last: t.exposeString('last'),
    prev: t.exposeString('prev', { nullable: true }),
    next: t.exposeString('next', { nullable: true }),
  }),
});

/**
 * The `page` and `perPage` arguments of every paginated list, to spread into a field's `args`.
 * A function, so that each field gets its own argument refs.
 */
export const pageArgs = () =>
  builder.args((t) => ({
    page: t.int({ description: 'Page number, from 1 (default 1).' }),
    perPage: t.int({ description: 'Items per page, 1–100 (default 20).' }),
  }));

/** The object type of one page of a list (`data`, `meta`, `links`), as every paginated list answers. */
export function pageRef<T>(name: string, description: string, itemRef: OutputRef<T>) {
  return builder.objectRef<Page<T>>(name).implement({
    description,
    fields: (t) => ({
      data: t.field({ type: [itemRef], resolve: (p) => p.data }),
      meta: t.field({ type: PageMetaRef, resolve: (p) => p.meta }),
      links: t.field({ type: PageLinksRef, resolve: (p) => p.links }),
    }),
  });
}

export const DeletionRef = builder.objectRef<{ deleted: true; id: string }>('Deletion').implement({
  description: 'Confirmation of a permanent deletion.',
  fields: (t) => ({
    deleted: t.boolean({ resolve: () => true }),
    id: t.exposeID('id'),
  }),
});
