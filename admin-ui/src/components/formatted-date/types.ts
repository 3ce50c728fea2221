export interface FormattedDateProps {
  /** An ISO-8601 date and time. */
  date: string;
}
