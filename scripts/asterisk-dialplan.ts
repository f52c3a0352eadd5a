// npm run -s asterisk:dialplan [-- --out FILE] [--account ID]. The command lives in gateway/src/cli so the gateway
// image runs it compiled: `node gateway/dist/cli/asterisk-dialplan.js --out /asterisk-dialplan/tracking-dids.conf`.
import '../gateway/src/cli/asterisk-dialplan.js';
