/**
 * Internal dependencies
 */
import type { Peer, PeerInput } from '../../api';

/** What the form holds. */
export interface PeerValues {
  name: string;
  slug: string;
  scimUrl: string;
  /** Typed token; sent only when set or replaced. */
  token: string;
  /** Whether the token input is shown (a new peer, none stored, or the admin replaces it). */
  replaceToken: boolean;
  push: boolean;
  roles: boolean;
  sendPasswords: boolean;
  acceptPasswords: boolean;
  includeAdministrators: boolean;
}

export interface PeerFormProps {
  /** The peer being edited; undefined for a new one. */
  peer?: Peer;
  /** Slugs of the other peers (a slug names one peer). */
  takenSlugs: string[];
  /** Saves; rejects with an ApiError whose `params` name the field (`peers[2][token]`). */
  onSave: (input: PeerInput) => Promise<void>;
  onCancel: () => void;
}
