// WordPress logins for scheduled pulls: the one login rule of provisioning/logins.ts.
export {
  LOGIN_ATTEMPTS,
  WP_MAX_LOGIN,
  loginCandidate,
  loginMatches,
  planLogin,
  sanitizeLogin,
} from '../provisioning/logins.js';
