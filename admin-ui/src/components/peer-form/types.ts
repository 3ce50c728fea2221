/**
 * Internal dependencies
 */
import type { Peer, PeerInput } from '../../api';

export interface PeerFormProps {
  /** The peer being edited; undefined for a new one. */
  peer?: Peer;
  /** Slugs of the other peers (a slug names one peer). */
  takenSlugs: string[];
  /** Saves; rejects with an ApiError whose `params` name the field (`peers[2][token]`). */
  onSave: (input: PeerInput) => Promise<void>;
  onCancel: () => void;
}
