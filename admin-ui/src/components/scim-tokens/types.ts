export interface ScimTokensProps {
  /**
   * SCIM base URL printed by the plugin (`window.usersyncAdmin.scimUrl`), used until a
   * create answer brings a fresher one.
   */
  scimUrl: string | null;
}
