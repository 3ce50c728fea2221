<?php
/**
 * Checks of usersync/v1/audit (list, filters, pages, export), the retention prune, the
 * configuration's field errors and usersync/v1/roles.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Installer;
use UserSync\Plugin;
use WP_REST_Request;

/**
 * Dispatches a GET as a user and keeps the response object (headers, raw data).
 *
 * @param int                  $user_id User.
 * @param string               $route   Route under /usersync/v1.
 * @param array<string, mixed> $query   Query parameters.
 * @return \WP_REST_Response
 */
function audit_get( int $user_id, string $route, array $query = array() ): \WP_REST_Response {
	wp_set_current_user( $user_id );
	$request = new WP_REST_Request( 'GET', '/usersync/v1' . $route );
	$request->set_query_params( $query );
	$response = rest_do_request( $request );
	wp_set_current_user( 0 );
	return $response;
}

/**
 * Writes audit entries for one made-up source and returns that source.
 *
 * @param array<int, array<string, mixed>> $entries Entries (source is added).
 */
function audit_entries( array $entries ): string {
	$source = 'test:' . strtolower( wp_generate_password( 10, false ) );
	foreach ( $entries as $entry ) {
		ok( Plugin::audit_log()->write( array_merge( array( 'source' => $source ), $entry ) ), 'audit row written' );
	}
	return $source;
}

/**
 * The first administrator.
 */
function audit_admin(): int {
	return (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
}

check(
	'audit: filters, search and server-side pages with totals',
	static function (): void {
		global $wpdb;
		$admin   = audit_admin();
		$service = make_user( 'usersync_service' );
		$run     = 'run-' . wp_generate_password( 8, false );
		$source  = audit_entries(
			array(
				array( 'action' => 'create', 'result' => 'success', 'user_id' => 101, 'user_login' => 'ada', 'fields' => array( 'email', 'first_name' ), 'actor' => 'sidecar', 'run_id' => $run ),
				array( 'action' => 'update', 'result' => 'success', 'user_id' => 101, 'user_login' => 'ada', 'fields' => array( 'last_name' ), 'actor' => 'sidecar', 'run_id' => $run ),
				array( 'action' => 'create', 'result' => 'failure', 'user_login' => 'grace', 'error' => 'The email address is already used by another user.', 'actor' => 'sidecar' ),
				array( 'action' => 'disable', 'result' => 'success', 'user_id' => 102, 'user_login' => 'linus', 'actor' => 'sidecar' ),
				array( 'action' => 'delete', 'result' => 'skipped', 'user_id' => 103, 'user_login' => 'ken', 'actor' => 'sidecar' ),
			)
		);

		$all = audit_get( $admin, '/audit', array( 'source' => $source ) );
		same( 200, $all->get_status(), 'list status' );
		same( '5', $all->get_headers()['X-WP-Total'], 'total' );
		same( '1', $all->get_headers()['X-WP-TotalPages'], 'pages' );
		$entries = $all->get_data();
		same( array( 'delete', 'disable', 'create', 'update', 'create' ), array_column( $entries, 'action' ), 'newest first' );
		same( array( 'email', 'first_name' ), $entries[4]['fields'], 'fields as a list' );
		same( $run, $entries[4]['runId'], 'run id' );
		ok( 1 === preg_match( '/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/', $entries[0]['createdAt'] ), 'ISO time in UTC' );
		same( null, $entries[0]['error'], 'no error' );

		$count = static fn( array $query ): int => (int) audit_get( $admin, '/audit', array_merge( array( 'source' => $source ), $query ) )->get_headers()['X-WP-Total'];
		same( 2, $count( array( 'action' => 'create' ) ), 'by action' );
		same( 1, $count( array( 'result' => 'failure' ) ), 'by result' );
		same( 2, $count( array( 'user' => 'ada' ) ), 'by login' );
		same( 1, $count( array( 'user' => '102' ) ), 'by user id' );
		same( 2, $count( array( 'run' => $run ) ), 'by run' );
		same( 1, $count( array( 'search' => 'already used' ) ), 'search in errors' );
		same( 1, $count( array( 'search' => 'last_name' ) ), 'search in fields' );
		same( 0, $count( array( 'search' => '%' ) ), 'LIKE wildcards are literal' );
		same( 5, (int) audit_get( $admin, '/audit', array( 'source' => substr( $source, 0, -3 ) . '*' ) )->get_headers()['X-WP-Total'], 'source prefix' );

		// Dates: move one entry to last year.
		$table = Installer::tables()['audit'];
		$id    = (int) $entries[0]['id'];
		$wpdb->update( $table, array( 'created_at' => gmdate( 'Y' ) - 1 . '-06-15 10:00:00' ), array( 'id' => $id ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		same( 1, $count( array( 'before' => gmdate( 'Y' ) - 1 . '-06-15' ) ), 'a date as the end includes that day' );
		same( 4, $count( array( 'after' => gmdate( 'Y-m-d' ) ) ), 'from today' );
		same( 1, $count( array( 'after' => gmdate( 'Y' ) - 1 . '-06-15T09:59:59Z', 'before' => gmdate( 'Y' ) - 1 . '-06-15T10:00:01Z' ) ), 'date-times' );

		$bad = audit_get( $admin, '/audit', array( 'after' => 'yesterday-ish' ) );
		same( 400, $bad->get_status(), 'unreadable date' );
		ok( isset( $bad->get_data()['data']['params']['after'] ), 'error names the field' );
		same( 400, audit_get( $admin, '/audit', array( 'after' => '2025-02-02', 'before' => '2025-02-01' ) )->get_status(), 'reversed period' );
		same( 400, audit_get( $admin, '/audit', array( 'result' => 'maybe' ) )->get_status(), 'unknown result' );

		$page = audit_get( $admin, '/audit', array( 'source' => $source, 'per_page' => 2, 'page' => 3 ) );
		same( '3', $page->get_headers()['X-WP-TotalPages'], 'three pages of two' );
		same( 1, count( $page->get_data() ), 'last page' );
		same( 400, audit_get( $admin, '/audit', array( 'source' => $source, 'per_page' => 2, 'page' => 4 ) )->get_status(), 'past the last page' );
		same( 400, audit_get( $admin, '/audit', array( 'per_page' => 101 ) )->get_status(), 'at most 100 per page' );

		same( 403, audit_get( $service, '/audit' )->get_status(), 'the service user may not read the log' );
		same( 401, audit_get( 0, '/audit' )->get_status(), 'signed out' );

		$facets = audit_get( $admin, '/audit/facets' )->get_data();
		ok( in_array( $source, $facets['sources'], true ), 'source offered as a filter' );
		ok( in_array( 'disable', $facets['actions'], true ), 'action offered as a filter' );
	}
);

check(
	'audit export: streamed CSV with a header, filters applied, formulas neutralised',
	static function (): void {
		$admin  = audit_admin();
		$source = audit_entries(
			array(
				array( 'action' => 'create', 'result' => 'success', 'user_id' => 7, 'user_login' => '=HYPERLINK("http://evil")', 'fields' => array( 'email', 'nickname' ) ),
				array( 'action' => 'update', 'result' => 'failure', 'user_login' => 'bob', 'error' => "Line one,\n\"quoted\"" ),
			)
		);

		$response = audit_get( $admin, '/audit/export', array( 'source' => $source ) );
		same( 200, $response->get_status(), 'export status' );
		$headers = $response->get_headers();
		same( 'text/csv; charset=utf-8', $headers['Content-Type'], 'content type' );
		ok( 1 === preg_match( '/^attachment; filename="usersync-audit-\d{8}-\d{6}\.csv"$/', $headers['Content-Disposition'] ), 'download file name' );

		$stream = fopen( 'php://memory', 'w+' );
		same( 2, $response->get_data()->write( $stream ), 'rows written' );
		rewind( $stream );
		$rows = array();
		while ( false !== ( $row = fgetcsv( $stream, 0, ',', '"', '' ) ) ) { // phpcs:ignore WordPress.CodeAnalysis.AssignmentInCondition
			$rows[] = $row;
		}
		fclose( $stream );
		same( \UserSync\Audit_Csv::COLUMNS, $rows[0], 'header line' );
		same( 3, count( $rows ), 'header and two rows' );
		same( array( 'update', 'bob', 'failure', "Line one,\n\"quoted\"" ), array( $rows[1][4], $rows[1][6], $rows[1][8], $rows[1][9] ), 'newest first, commas, quotes and newlines survive' );
		same( "'=HYPERLINK(\"http://evil\")", $rows[2][6], 'a formula is shown as text' );
		same( 'email;nickname', $rows[2][7], 'fields joined' );
		same( '7', $rows[2][5], 'user id' );

		same( 403, audit_get( make_user( 'editor' ), '/audit/export' )->get_status(), 'editors may not export' );
	}
);

check(
	'audit retention: saving a shorter period prunes at once; 0 keeps everything',
	static function (): void {
		global $wpdb;
		$admin  = audit_admin();
		$source = audit_entries(
			array(
				array( 'action' => 'update', 'result' => 'success' ),
				array( 'action' => 'update', 'result' => 'success' ),
			)
		);
		$table  = Installer::tables()['audit'];
		$ids    = array_map( 'intval', $wpdb->get_col( $wpdb->prepare( "SELECT id FROM $table WHERE source = %s ORDER BY id", $source ) ) ); // phpcs:ignore WordPress.DB
		$wpdb->update( $table, array( 'created_at' => gmdate( 'Y-m-d H:i:s', time() - 40 * DAY_IN_SECONDS ) ), array( 'id' => $ids[0] ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$remaining = static fn(): int => (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM $table WHERE source = %s", $source ) ); // phpcs:ignore WordPress.DB

		same( 200, rest( $admin, 'PUT', '/config', array( 'audit' => array( 'retentionDays' => 0 ) ) )['status'], 'keep forever' );
		same( 2, $remaining(), 'nothing pruned while kept forever' );
		same( 0, \UserSync\Audit_Retention::prune(), 'the daily prune deletes nothing either' );

		$saved = rest( $admin, 'PUT', '/config', array( 'audit' => array( 'retentionDays' => 30 ) ) );
		same( 200, $saved['status'], 'retention saved' );
		same( 30, $saved['data']['audit']['retentionDays'], 'retention answered' );
		same( 1, $remaining(), 'the 40-day-old entry went when the period was saved' );

		$wpdb->update( $table, array( 'created_at' => gmdate( 'Y-m-d H:i:s', time() - 31 * DAY_IN_SECONDS ) ), array( 'id' => $ids[1] ) ); // phpcs:ignore WordPress.DB.DirectDatabaseQuery
		ok( \UserSync\Audit_Retention::prune() >= 1, 'the daily prune deletes' );
		same( 0, $remaining(), 'all old entries gone' );
		ok( false !== wp_next_scheduled( \UserSync\Audit_Retention::CRON_HOOK ), 'the daily prune is scheduled' );

		$bad = rest( $admin, 'PUT', '/config', array( 'audit' => array( 'retentionDays' => -1 ) ) );
		same( 400, $bad['status'], 'negative retention' );
		same( 30, Plugin::config()->get()['audit']['retentionDays'], 'nothing saved' );
	}
);

check(
	'config: every problem is reported next to its field and nothing is saved',
	static function (): void {
		$admin  = audit_admin();
		$before = Plugin::config()->get();
		$map    = $before['attributeMap'];

		$duplicate   = $map;
		$duplicate[] = array( 'source' => 'nickName', 'target' => 'first_name', 'direction' => 'inbound', 'transform' => 'none', 'default' => null );
		$answer      = rest( $admin, 'PUT', '/config', array( 'attributeMap' => $duplicate ) );
		same( 400, $answer['status'], 'duplicate target' );
		same( 'usersync_invalid_attribute_map', $answer['data']['code'], 'code' );
		$index = count( $duplicate ) - 1;
		ok( isset( $answer['data']['data']['params'][ "attributeMap[$index][target]" ] ), 'the duplicate row is named: ' . wp_json_encode( $answer['data']['data']['params'] ) );

		$outbound_twice = array_merge( $map, array( array( 'source' => 'nickName', 'target' => 'meta:alias', 'direction' => 'outbound', 'transform' => 'none', 'default' => null ) ) );
		same( 400, rest( $admin, 'PUT', '/config', array( 'attributeMap' => $outbound_twice ) )['status'], 'two fields written back to one attribute' );
		$inbound_only = array_merge( $map, array( array( 'source' => 'nickName', 'target' => 'meta:alias', 'direction' => 'inbound', 'transform' => 'none', 'default' => null ) ) );
		same( 200, rest( $admin, 'PUT', '/config', array( 'attributeMap' => $inbound_only ) )['status'], 'one attribute read into two fields is fine' );

		$unknown = array(
			array( 'source' => 'userName', 'target' => 'user_login' ),
			array( 'source' => 'name.givenNam', 'target' => 'first_name' ),
			array( 'source' => 'emial', 'target' => 'user_email' ),
			array( 'source' => 'emails[type eq "work"].value', 'target' => 'meta:work_email' ),
			array( 'source' => 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter', 'target' => 'meta:cost_center' ),
			array( 'source' => 'urn:usersync:graph:User:officeLocation', 'target' => 'meta:office' ),
			array( 'source' => 'displayName[type eq "x"]', 'target' => 'display_name' ),
		);
		$answer  = rest( $admin, 'PUT', '/config', array( 'attributeMap' => $unknown ) );
		same( 400, $answer['status'], 'unknown attributes' );
		same( array( 'attributeMap[1][source]', 'attributeMap[2][source]', 'attributeMap[6][source]' ), array_keys( $answer['data']['data']['params'] ), 'each unknown source is named' );

		$no_login = rest( $admin, 'PUT', '/config', array( 'attributeMap' => array( array( 'source' => 'emails[primary].value', 'target' => 'user_email' ) ) ) );
		same( 400, $no_login['status'], 'user_login must be mapped' );
		ok( isset( $no_login['data']['data']['params']['attributeMap'] ), 'reported on the map' );

		$bad_transform = rest( $admin, 'PUT', '/config', array( 'attributeMap' => array( array( 'source' => 'userName', 'target' => 'user_login', 'transform' => 'reverse' ) ) ) );
		same( 400, $bad_transform['status'], 'unknown transform' );
		ok( false !== strpos( wp_json_encode( $bad_transform['data'] ), 'attributeMap[0][transform]' ), 'the schema error names the field' );

		$roles = rest(
			$admin,
			'PUT',
			'/config',
			array(
				'roleMap' => array(
					'rules'       => array(
						array( 'group' => 'Staff', 'role' => 'editor', 'priority' => 10 ),
						array( 'group' => 'Wizards', 'role' => 'wizard', 'priority' => 5 ),
						array( 'group' => 'IT', 'role' => 'administrator', 'priority' => 1 ),
					),
					'defaultRole' => 'nobody',
				),
			)
		);
		same( 400, $roles['status'], 'unknown roles' );
		same( 'usersync_invalid_role_map', $roles['data']['code'], 'role map code' );
		same( array( 'roleMap[defaultRole]', 'roleMap[rules][1][role]', 'roleMap[rules][2][role]' ), array_keys( $roles['data']['data']['params'] ), 'each bad role is named' );

		same( 400, rest( $admin, 'PUT', '/config', array( 'deprovision' => array( 'graceDays' => 400 ) ) )['status'], 'grace period too long' );
		$grace = rest( $admin, 'PUT', '/config', array( 'deprovision' => array( 'action' => 'delete', 'graceDays' => 14 ) ) );
		same( 200, $grace['status'], 'grace period saved' );
		same( 14, $grace['data']['deprovision']['graceDays'], 'grace period answered' );

		$after = Plugin::config()->get();
		same( $before['roleMap'], $after['roleMap'], 'role map unchanged by the refused saves' );
	}
);

check(
	'roles: listed with names, without the service role, for admins only',
	static function (): void {
		$admin = audit_admin();
		$roles = rest( $admin, 'GET', '/roles' );
		same( 200, $roles['status'], 'status' );
		$slugs = array_column( $roles['data'], 'slug' );
		ok( in_array( 'editor', $slugs, true ) && in_array( 'subscriber', $slugs, true ), 'core roles' );
		ok( ! in_array( 'usersync_service', $slugs, true ), 'no service role' );
		same( 'Editor', array_column( $roles['data'], 'name', 'slug' )['editor'], 'names' );
		same( 403, rest( make_user( 'usersync_service' ), 'GET', '/roles' )['status'], 'service user' );
	}
);

check(
	'audit: filtering by a connection finds its runs\' entries too; the user filter matches part of a login',
	static function (): void {
		$admin = audit_admin();
		$slug  = connection();
		$run   = 'run-' . strtolower( wp_generate_password( 8, false ) );
		$login = 'grace.' . strtolower( wp_generate_password( 6, false ) ) . '@contoso.example';
		// Sync now as the plugin records it, then the run's writes, then a scheduled run's write.
		Plugin::audit_log()->write( array( 'action' => 'run_start', 'source' => 'connection:' . $slug, 'result' => 'success', 'run_id' => $run, 'connection' => $slug ) );
		Plugin::audit_log()->write( array( 'action' => 'create', 'source' => 'run:' . $run, 'user_login' => $login, 'result' => 'success', 'run_id' => $run, 'connection' => $slug ) );
		Plugin::audit_log()->write( array( 'action' => 'update', 'source' => 'run:other', 'user_login' => $login, 'result' => 'success', 'run_id' => 'other', 'connection' => $slug ) );
		Plugin::audit_log()->write( array( 'action' => 'update', 'source' => 'run:elsewhere', 'user_login' => 'alan@contoso.example', 'result' => 'success', 'run_id' => 'elsewhere', 'connection' => $slug . '-x' ) );

		$page = audit_get( $admin, '/audit', array( 'source' => 'connection:' . $slug ) )->get_data();
		same( array( 'update', 'create', 'run_start' ), array_column( $page, 'action' ), 'the connection\'s own entry and both runs\' writes' );
		same( $slug, $page[0]['connection'], 'entries say their connection' );

		$found = audit_get( $admin, '/audit', array( 'user' => substr( $login, 0, 12 ) ) )->get_data();
		same( array( $login, $login ), array_column( $found, 'userLogin' ), 'part of the login finds the user\'s entries' );
	}
);
