// The /v1 export routes (docs/spec/product.md §8) and their REST shapes.
import type { RestRoute, RestShape } from '../../rest/route-types.js';

export const exportRoutes: RestRoute[] = [
  { field: 'Mutation.createExport', method: 'POST', path: '/exports', status: 202, summary: 'Start an export' },
  { field: 'Query.exports', method: 'GET', path: '/exports', summary: 'List exports' },
  { field: 'Query.export', method: 'GET', path: '/exports/:id', summary: 'Get an export' },
];

export const exportShape: RestShape = {
  projections: {
    ExportStarted: { of: 'Export', fields: ['id', 'status', 'format', 'createdAt'] },
  },
  retarget: { 'Mutation.createExport': 'ExportStarted' },
};
