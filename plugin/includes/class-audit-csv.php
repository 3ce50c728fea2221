<?php
/**
 * The audit log as CSV, written row by row.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Writes the entries of an audit query as RFC 4180 CSV with a header line. Cells that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or carriage return) are
 * prefixed with an apostrophe: user names and errors come from outside systems.
 */
class Audit_Csv {

	public const COLUMNS = array( 'id', 'time_utc', 'actor', 'source', 'action', 'user_id', 'user_login', 'fields', 'result', 'error', 'run_id' );

	/**
	 * The entries to write.
	 *
	 * @var Audit_Query
	 */
	private Audit_Query $query;

	/**
	 * Constructor.
	 *
	 * @param Audit_Query $query Entries to write.
	 */
	public function __construct( Audit_Query $query ) {
		$this->query = $query;
	}

	/**
	 * The download's file name, e.g. usersync-audit-20250115-093000.csv.
	 */
	public static function filename(): string {
		return 'usersync-audit-' . gmdate( 'Ymd-His' ) . '.csv';
	}

	/**
	 * Writes the CSV to a stream.
	 *
	 * @param resource      $handle   Writable stream (php://output to send it).
	 * @param callable|null $on_chunk Called every 200 rows (to flush output buffers).
	 * @return int Rows written, without the header.
	 */
	public function write( $handle, ?callable $on_chunk = null ): int {
		fputcsv( $handle, self::COLUMNS, ',', '"', '' );
		$rows = 0;
		foreach ( $this->query->each() as $entry ) {
			fputcsv(
				$handle,
				array_map(
					array( self::class, 'cell' ),
					array(
						(string) $entry['id'],
						$entry['createdAt'],
						$entry['actor'],
						$entry['source'],
						$entry['action'],
						null === $entry['userId'] ? '' : (string) $entry['userId'],
						$entry['userLogin'],
						implode( ';', $entry['fields'] ),
						$entry['result'],
						(string) $entry['error'],
						(string) $entry['runId'],
					)
				),
				',',
				'"',
				''
			);
			++$rows;
			if ( $on_chunk && 0 === $rows % 200 ) {
				$on_chunk();
			}
		}
		return $rows;
	}

	/**
	 * A cell value that spreadsheets show as text.
	 *
	 * @param string $value Value.
	 */
	public static function cell( string $value ): string {
		if ( '' !== $value && false !== strpos( "=+-@\t\r", $value[0] ) ) {
			return "'" . $value;
		}
		return $value;
	}
}
