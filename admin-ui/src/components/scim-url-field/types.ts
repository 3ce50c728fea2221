export interface ScimUrlFieldProps {
  /** The SCIM base URL, `<sidecar URL>/scim/v2`. */
  url: string;
}
