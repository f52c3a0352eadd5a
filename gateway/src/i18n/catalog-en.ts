/**
 * English messages: the reference catalog. Every other catalog has exactly these keys (the type checker holds
 * them to it). `{name}` is replaced by a parameter; a message with plural forms picks one by `{count}` through
 * Intl.PluralRules of the locale (English: one, other).
 */
export const en = {
  'voice.whisper': 'Call from {source}',
  'voice.unavailable': 'Sorry, this number cannot take your call right now. Please try again later.',
  'lead.title': 'Call from {caller}',
  'lead.titleVia': 'Call from {caller} ({via})',
  'lead.callerName': 'Caller',
  'lead.incomingCall': 'Incoming call to {number}',
  'lead.incomingCallDuration': 'Incoming call {duration} to {number}',
  'lead.outcome': 'outcome {outcome}',
  'lead.talk': { one: 'talk {count} s', other: 'talk {count} s' },
  'lead.landingPage': 'landing page {url}',
  'lead.recording': 'Recording: {url}',
  'lead.recordingLower': 'recording {url}',
  'lead.sourceName': 'Call tracking: {number}',
  'lead.sourceDescription': 'Call tracking: number {number}',
  'lead.channel': 'channel {channel}',
  'lead.managerComment': 'Call-tracking lead',
  'lead.managerCommentFrom': 'Call-tracking lead from {origin}',
  'lead.sourceNameChannel': 'Call tracking: {number} ({channel})',
  'lead.repeatCall': {
    one: 'Repeat call ({count} call in this lead) at {at} to {number}',
    other: 'Repeat call ({count} calls in this lead) at {at} to {number}',
  },
  'lead.callResult.talked': 'Conversation took place',
  'lead.callResult.busy': 'Busy',
  'lead.callResult.notAnswered': 'Not answered',
  'outcome.completed': 'completed',
  'outcome.busy': 'busy',
  'outcome.no-answer': 'no-answer',
  'outcome.canceled': 'canceled',
  'outcome.failed': 'failed',
} as const;
