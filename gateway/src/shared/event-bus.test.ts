import { expect } from 'chai';
import { createLogger } from '../logging/logger.js';
import { EventBus } from './event-bus.js';

describe('EventBus.listens', () => {
  it('is true only while a handler is subscribed to that type', () => {
    const bus = new EventBus(createLogger({ level: 'silent' }));
    expect(bus.listens('site.changed')).to.equal(false);
    const off = bus.on('site.changed', () => undefined);
    expect(bus.listens('site.changed')).to.equal(true);
    expect(bus.listens('pool.changed')).to.equal(false);
    off();
    expect(bus.listens('site.changed')).to.equal(false);
  });
});
