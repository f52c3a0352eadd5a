export const secondsBetween = (a: Date, b: Date): number => Math.max(0, Math.round((b.getTime() - a.getTime()) / 1000));

/** Ring time until the answer (all of it when unanswered) and talk time after it, in whole seconds. */
export function callDurations(startedAt: Date, answeredAt: Date | null, endedAt: Date): { ringSeconds: number; talkSeconds: number } {
  if (!answeredAt) return { ringSeconds: secondsBetween(startedAt, endedAt), talkSeconds: 0 };
  return { ringSeconds: secondsBetween(startedAt, answeredAt), talkSeconds: secondsBetween(answeredAt, endedAt) };
}
