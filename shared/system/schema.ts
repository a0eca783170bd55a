import * as z from 'zod';

export const healthSchema = z
  .object({
    status: z.literal('ok'),
    service: z.literal('switchyard'),
    stage: z.string(),
    time: z.iso.datetime(),
  })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof healthSchema>;
