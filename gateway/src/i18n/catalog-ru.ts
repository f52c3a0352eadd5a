import type { Catalog } from './i18n.js';

/** Russian messages. Plural forms per CLDR: one (1, 21), few (2–4, 22–24), many (5–20, 25…), other (fractions). */
export const ru: Catalog = {
  'voice.whisper': 'Звонок: {source}',
  'lead.title': 'Звонок от {caller}',
  'lead.titleVia': 'Звонок от {caller} ({via})',
  'lead.callerName': 'Звонящий',
  'lead.incomingCall': 'Входящий звонок на {number}',
  'lead.incomingCallDuration': 'Входящий звонок {duration} на {number}',
  'lead.outcome': 'итог: {outcome}',
  'lead.talk': {
    one: 'разговор {count} секунда',
    few: 'разговор {count} секунды',
    many: 'разговор {count} секунд',
    other: 'разговор {count} секунды',
  },
  'lead.landingPage': 'страница входа {url}',
  'lead.recording': 'Запись: {url}',
  'lead.recordingLower': 'запись {url}',
  'lead.sourceName': 'Коллтрекинг: {number}',
  'lead.sourceDescription': 'Коллтрекинг: номер {number}',
  'lead.channel': 'канал {channel}',
  'lead.managerComment': 'Заявка из коллтрекинга',
  'outcome.completed': 'состоялся',
  'outcome.busy': 'занято',
  'outcome.no-answer': 'нет ответа',
  'outcome.canceled': 'сброшен',
  'outcome.failed': 'не удался',
};
