import { type LengthDistribution, Rng, sampler } from './rng.js';

/** One visit of the simulated (or traced) traffic, with the call it makes, if any. Times in ms from the start. */
export interface SimVisit {
  readonly sessionId: string;
  readonly visitorId: string;
  readonly start: number;
  readonly end: number;
  /**
   * When the widget sees a human signal and asks for a pool number (first pointer, scroll or key event, a phone
   * element in view, or 3 s of a visible tab). A visit that ends before it never saw a tracking number.
   */
  readonly signalAt: number;
  readonly mobile: boolean;
  readonly bot: boolean;
  /** The widget's `leave` beacon on pagehide reached the gateway. */
  readonly leaveBeacon: boolean;
  readonly call: SimCall | null;
  /** Counted in the results (visits of the warm-up and cool-down are simulated but not counted). */
  readonly counted: boolean;
}

export interface SimCall {
  readonly at: number;
  readonly caller: string;
  /** When the caller tapped the tel: link (a beacon), or null. */
  readonly telClickAt: number | null;
}

export interface TrafficParams {
  /** Visits per hour at the busiest hour of the profile. */
  readonly ratePerHour: number;
  /** 24 relative weights (the busiest is scaled to `ratePerHour`); all equal = a flat day. */
  readonly profile: readonly number[];
  readonly hours: number;
  readonly warmupHours: number;
  readonly cooldownHours: number;
  readonly session: LengthDistribution;
  readonly botShare: number;
  /** Share of human visits that call. Calls change no lease, so every visit can stand as a probe (1 by default). */
  readonly callShare: number;
  /** Share of calls made during the visit; the rest come `afterDelayMeanS` (exponential) after leaving. */
  readonly inVisitShare: number;
  readonly afterDelayMeanS: number;
  readonly mobileShare: number;
  /** Share of mobile calls started by tapping the tel: link (the widget beacons the tap). */
  readonly telClickShare: number;
  /** Share of calls from a caller who called before (a returning visitor whose earlier call was matched). */
  readonly repeatShare: number;
  readonly leaveBeaconShare: number;
  /** Share of visits with a phone number in view at load (the widget asks at once); the others ask on the first interaction, at most 3 s in. */
  readonly numberInViewShare: number;
  /** Mean time to the first pointer, scroll or key event, s (exponential). */
  readonly firstInteractionMeanS: number;
  readonly seed: number;
}

/** The default scenario: 300 visits/h, Weibull(0.6, mean 180 s), 70 % in visit, 30 % after Exp(5 min). */
export const DEFAULT_TRAFFIC: TrafficParams = {
  ratePerHour: 300,
  profile: Array.from({ length: 24 }, () => 1),
  hours: 100,
  warmupHours: 1,
  cooldownHours: 2,
  session: { kind: 'weibull', shape: 0.6, mean: 180 },
  botShare: 0,
  callShare: 1,
  inVisitShare: 0.7,
  afterDelayMeanS: 300,
  mobileShare: 0.6,
  telClickShare: 0.5,
  repeatShare: 0.2,
  leaveBeaconShare: 0.8,
  numberInViewShare: 0.5,
  firstInteractionMeanS: 1.5,
  seed: 1,
};

const H = 3_600_000;

/**
 * Poisson arrivals with a daily profile (thinning: draw at the peak rate, keep each with weight/peak), visit lengths
 * from the chosen distribution, and one call per calling visit.
 */
export function generateTraffic(p: TrafficParams): SimVisit[] {
  const rng = new Rng(p.seed);
  const length = sampler(p.session, rng);
  const peak = Math.max(...p.profile);
  const total = (p.warmupHours + p.hours + p.cooldownHours) * H;
  const countFrom = p.warmupHours * H;
  const countTo = countFrom + p.hours * H;
  const visits: SimVisit[] = [];
  // Callers whose call is over (repeat candidates) and those still to call.
  const callers: { visitorId: string; caller: string }[] = [];
  let pending: { visitorId: string; caller: string; at: number }[] = [];
  let t = 0;
  let seq = 0;
  for (;;) {
    t += rng.exp(H / p.ratePerHour);
    if (t >= total) break;
    const weight = (p.profile[Math.floor(t / H) % 24] ?? peak) / peak;
    if (!rng.chance(weight)) continue;
    seq += 1;
    const start = Math.round(t);
    const end = start + Math.max(1000, Math.round(length() * 1000));
    const bot = rng.chance(p.botShare);
    const mobile = rng.chance(p.mobileShare);
    const leaveBeacon = rng.chance(p.leaveBeaconShare);
    const signalAt = start + (rng.chance(p.numberInViewShare) ? 200 : Math.round(Math.min(3000, rng.exp(p.firstInteractionMeanS * 1000))));
    let visitorId = `v${seq}`;
    let caller = `+1500${String(seq).padStart(7, '0')}`;
    let call: SimCall | null = null;
    // A visitor who left before any number was shown (none in view, no interaction) cannot call one.
    if (pending.length && pending.some((c) => c.at < start)) {
      for (const c of pending) if (c.at < start) callers.push({ visitorId: c.visitorId, caller: c.caller });
      pending = pending.filter((c) => c.at >= start);
    }
    if (!bot && signalAt < end && rng.chance(p.callShare)) {
      if (callers.length && rng.chance(p.repeatShare)) {
        // Taken out until this visit's call is over: one visit at a time per visitor.
        const k = rng.int(callers.length);
        const prev = callers[k]!;
        callers[k] = callers[callers.length - 1]!;
        callers.pop();
        visitorId = prev.visitorId;
        caller = prev.caller;
      }
      const tapped = mobile && rng.chance(p.telClickShare);
      if (rng.chance(p.inVisitShare)) {
        // After the number was shown: the caller dials what the page displays.
        const at = signalAt + Math.round(rng.next() * (end - signalAt));
        call = { at, caller, telClickAt: tapped ? Math.max(signalAt, at - 3000) : null };
      } else {
        const at = end + Math.round(rng.exp(p.afterDelayMeanS * 1000));
        // A tap that leads to a later call is the visit's last act: the dialer hides the page.
        call = { at, caller, telClickAt: tapped ? end : null };
      }
      // A repeat candidate once this call is over (matched by then); one visit at a time per visitor, as the widget
      // keeps one session per browser.
      pending.push({ visitorId, caller, at: call.at + 60_000 });
    }
    visits.push({
      sessionId: `s${seq}`,
      visitorId,
      start,
      end,
      signalAt,
      mobile,
      bot,
      leaveBeacon,
      call,
      counted: start >= countFrom && start < countTo,
    });
  }
  return visits;
}
