/** Request bodies. Unknown properties are refused: a client cannot send tenantId or ownerOid. */
import { z } from 'zod';
import { hasControlCharacter } from '../text.js';

const itemText = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !hasControlCharacter(s), 'must not contain control characters');

export const orderStatuses = ['open', 'shipped', 'cancelled'] as const;

export const createOrderBody = z.strictObject({
  item: itemText,
  quantity: z.number().int().min(1).max(10_000),
});

export const updateOrderBody = z
  .strictObject({
    item: itemText.optional(),
    quantity: z.number().int().min(1).max(10_000).optional(),
    status: z.enum(orderStatuses).optional(),
  })
  .refine((b) => b.item !== undefined || b.quantity !== undefined || b.status !== undefined, {
    message: 'at least one of item, quantity, status',
  });
