export interface WordPressPeersProps {
  /** This site's SCIM base URL, to give to peers. */
  scimUrl: string | null;
}
