// Adoption for scheduled pulls: the one rule of provisioning/adoption.ts.
export { adoptionVerdict } from '../provisioning/adoption.js';
export type {
  AdoptionCandidate,
  AdoptionPolicy,
  AdoptionVerdict,
} from '../provisioning/adoption.js';
