<?php
/**
 * UserSync on WordPress's own Users screens, where admins look first: which source manages a
 * user, whether a sync disabled them, and on the profile every link with its last sync.
 *
 * @package UserSync
 */

namespace UserSync\Admin;

use UserSync\Audit_Query;
use UserSync\Connection;
use UserSync\Deprovision_Grace;
use UserSync\Installer;
use UserSync\Links;
use UserSync\Login_Guard;
use UserSync\User_Refresh;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * A "Source" column with a "disabled by sync" badge, a view of the users syncs disabled, a
 * filter by connection, the bulk action "Sync these users now", and a UserSync section on the
 * profile with "Sync now" and "Push now". Shown to UserSync's admins only (the usersync_manage
 * capability).
 */
class Users_Screen {

	public const COLUMN = 'usersync_source';

	/** Query argument of the connection filter. */
	public const CONNECTION_ARG = 'usersync_connection';

	/** Query argument of the "disabled by sync" view. */
	public const DISABLED_ARG = 'usersync_disabled';

	/** The bulk action of the Users list. */
	public const BULK_ACTION = 'usersync_sync';

	/** admin-post.php actions of the profile's buttons. */
	public const SYNC_ACTION = 'usersync_user_sync';
	public const PUSH_ACTION = 'usersync_user_push';

	/** Query argument naming the stored result of the last sync, shown as a notice. */
	public const RESULT_ARG = 'usersync_result';

	/** Seconds a result waits to be shown. */
	private const RESULT_TTL = 300;

	/**
	 * Links of the users on the current page, loaded once for the whole list.
	 *
	 * @var array<int, array<int, array{connection: string, externalId: string}>>|null
	 */
	private ?array $page_links = null;

	/**
	 * Connection names by slug.
	 *
	 * @var array<string, string>|null
	 */
	private ?array $names = null;

	/**
	 * `manage_users_columns`: adds the Source column.
	 *
	 * @param array<string, string> $columns Columns.
	 * @return array<string, string>
	 */
	public function add_column( $columns ) {
		if ( ! current_user_can( Installer::MANAGE_CAP ) ) {
			return $columns;
		}
		$columns[ self::COLUMN ] = __( 'Source', 'usersync' );
		return $columns;
	}

	/**
	 * `manage_users_custom_column`: the connections that manage the user, and the badge.
	 *
	 * @param string $output  Output so far.
	 * @param string $column  Column name.
	 * @param int    $user_id User id.
	 * @return string
	 */
	public function render_column( $output, $column, $user_id ) {
		if ( self::COLUMN !== $column ) {
			return $output;
		}
		$user_id = (int) $user_id;
		$links   = $this->links_of( $user_id );
		$parts   = array();
		foreach ( $links as $link ) {
			$parts[] = '<span class="usersync-source">' . esc_html( $this->name( $link['connection'] ) ) . '</span>';
		}
		if ( ! $parts ) {
			$parts[] = '<span aria-hidden="true">—</span><span class="screen-reader-text">' . esc_html__( 'Not managed by a sync', 'usersync' ) . '</span>';
		}
		if ( Login_Guard::is_disabled( $user_id ) ) {
			$parts[] = '<span class="usersync-badge">' . esc_html__( 'Disabled by sync', 'usersync' ) . '</span>';
		}
		return $output . implode( '<br>', $parts );
	}

	/**
	 * `views_users`: "Disabled by sync (n)" beside WordPress's role views.
	 *
	 * @param array<string, string> $views Views.
	 * @return array<string, string>
	 */
	public function add_view( $views ) {
		if ( ! current_user_can( Installer::MANAGE_CAP ) ) {
			return $views;
		}
		// Counted by the database: the ids of every disabled user are not needed here.
		$count = ( new \WP_User_Query(
			array(
				'meta_key'    => 'usersync_disabled', // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value'  => '1', // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
				'fields'      => 'ID',
				'number'      => 1,
				'count_total' => true,
			)
		) )->get_total();
		if ( 0 === $count ) {
			return $views;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a view, not a form.
		$current = ! empty( $_GET[ self::DISABLED_ARG ] );
		$views[ self::DISABLED_ARG ] = sprintf(
			'<a href="%s"%s>%s <span class="count">(%s)</span></a>',
			esc_url( add_query_arg( self::DISABLED_ARG, '1', admin_url( 'users.php' ) ) ),
			$current ? ' class="current" aria-current="page"' : '',
			esc_html__( 'Disabled by sync', 'usersync' ),
			esc_html( number_format_i18n( $count ) )
		);
		return $views;
	}

	/**
	 * `restrict_manage_users`: the connection filter above the list.
	 *
	 * @param string $which 'top' or 'bottom'.
	 */
	public function render_filter( $which = 'top' ): void {
		if ( 'top' !== $which || ! current_user_can( Installer::MANAGE_CAP ) ) {
			return;
		}
		$names = $this->names();
		if ( ! $names ) {
			return;
		}
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- a filter, not a form that writes.
		$current = isset( $_GET[ self::CONNECTION_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ self::CONNECTION_ARG ] ) ) : '';
		echo '<label class="screen-reader-text" for="usersync-connection-filter">' . esc_html__( 'Filter by source', 'usersync' ) . '</label>';
		echo '<select name="' . esc_attr( self::CONNECTION_ARG ) . '" id="usersync-connection-filter" style="float:none;margin-left:8px">';
		echo '<option value="">' . esc_html__( 'All sources', 'usersync' ) . '</option>';
		foreach ( $names as $slug => $name ) {
			printf( '<option value="%s"%s>%s</option>', esc_attr( $slug ), selected( $current, $slug, false ), esc_html( $name ) );
		}
		echo '</select>';
		submit_button( __( 'Filter', 'usersync' ), '', 'usersync_filter', false );
	}

	/**
	 * `users_list_table_query_args`: applies the filter and the view.
	 *
	 * @param array<string, mixed> $args WP_User_Query arguments.
	 * @return array<string, mixed>
	 */
	public function filter_query( $args ) {
		if ( ! current_user_can( Installer::MANAGE_CAP ) ) {
			return $args;
		}
		$meta = array();
		// phpcs:disable WordPress.Security.NonceVerification.Recommended -- filters of a list, nothing is written.
		if ( ! empty( $_GET[ self::DISABLED_ARG ] ) ) {
			$meta[] = array(
				'key'   => 'usersync_disabled',
				'value' => '1',
			);
		}
		$connection = isset( $_GET[ self::CONNECTION_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ self::CONNECTION_ARG ] ) ) : '';
		// phpcs:enable
		if ( '' !== $connection && Connection::is_valid( $connection ) ) {
			$meta[] = array(
				'key'     => Connection::link_key( $connection ),
				'compare' => 'EXISTS',
			);
		}
		if ( $meta ) {
			$existing          = isset( $args['meta_query'] ) && is_array( $args['meta_query'] ) ? $args['meta_query'] : array();
			$args['meta_query'] = array_merge( array( 'relation' => 'AND' ), $existing ? array( $existing ) : array(), $meta ); // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_query
		}
		return $args;
	}

	/**
	 * `bulk_actions-users`: "Sync these users now".
	 *
	 * @param array<string, string> $actions Bulk actions.
	 * @return array<string, string>
	 */
	public function add_bulk_action( $actions ) {
		if ( current_user_can( Installer::MANAGE_CAP ) ) {
			$actions[ self::BULK_ACTION ] = __( 'Sync these users now', 'usersync' );
		}
		return $actions;
	}

	/**
	 * `handle_bulk_actions-users`: syncs the selected users (WordPress checked the list's
	 * nonce) and sends the admin back to the list with the result.
	 *
	 * @param string $sendback Where to go back to.
	 * @param string $action   Bulk action.
	 * @param int[]  $user_ids Selected users.
	 * @return string
	 */
	public function handle_bulk_action( $sendback, $action, $user_ids ) {
		if ( self::BULK_ACTION !== $action || ! current_user_can( Installer::MANAGE_CAP ) ) {
			return $sendback;
		}
		$summary = array(
			'synced'  => 0,
			'skipped' => 0,
			'failed'  => 0,
			'results' => array(),
		);
		foreach ( array_chunk( array_map( 'intval', (array) $user_ids ), User_Refresh::CHUNK ) as $chunk ) {
			$part = ( new User_Refresh() )->sync( $chunk );
			foreach ( array( 'synced', 'skipped', 'failed' ) as $key ) {
				$summary[ $key ] += $part[ $key ];
			}
			$summary['results'] = array_merge( $summary['results'], $part['results'] );
		}
		return add_query_arg( self::RESULT_ARG, $this->store_result( $summary ), remove_query_arg( self::RESULT_ARG, $sendback ) );
	}

	/**
	 * `admin_post_usersync_user_sync`: the profile's "Sync now".
	 */
	public function handle_sync_now(): void {
		$user_id = $this->checked_request( self::SYNC_ACTION );
		$summary = ( new User_Refresh() )->sync( array( $user_id ) );
		$this->back_to_profile( $user_id, $summary );
	}

	/**
	 * `admin_post_usersync_user_push`: the profile's "Push now" to one peer.
	 */
	public function handle_push_now(): void {
		$user_id = $this->checked_request( self::PUSH_ACTION );
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- checked_request() verified it.
		$target = isset( $_GET['target'] ) ? sanitize_key( wp_unslash( $_GET['target'] ) ) : '';
		$result = ( new User_Refresh() )->push( $user_id, $target );
		if ( is_wp_error( $result ) ) {
			$result = array(
				'outcome'    => 'failed',
				'connection' => $target,
				'message'    => $result->get_error_message(),
			);
		}
		$user = get_userdata( $user_id );
		$this->back_to_profile(
			$user_id,
			array(
				'synced'  => 'synced' === $result['outcome'] ? 1 : 0,
				'skipped' => 'skipped' === $result['outcome'] ? 1 : 0,
				'failed'  => 'failed' === $result['outcome'] ? 1 : 0,
				'results' => array(
					array(
						'userId'  => $user_id,
						'login'   => $user ? $user->user_login : '',
						'pushed'  => true,
					) + $result,
				),
			)
		);
	}

	/**
	 * `admin_notices` on the Users screens: the result of the last sync the admin asked for.
	 */
	public function render_result_notice(): void {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only names a stored result of this admin.
		$key = isset( $_GET[ self::RESULT_ARG ] ) ? sanitize_key( wp_unslash( $_GET[ self::RESULT_ARG ] ) ) : '';
		if ( '' === $key || ! current_user_can( Installer::MANAGE_CAP ) ) {
			return;
		}
		$transient = 'usersync_result_' . get_current_user_id() . '_' . $key;
		$summary   = get_transient( $transient );
		if ( ! is_array( $summary ) ) {
			return;
		}
		delete_transient( $transient );
		$pushed = ! empty( $summary['results'][0]['pushed'] );
		$class  = $summary['failed'] > 0 ? 'notice-error' : ( $summary['skipped'] > 0 ? 'notice-warning' : 'notice-success' );
		$parts  = array(
			$pushed
				/* translators: %s: number of users */
				? sprintf( _n( '%s user pushed.', '%s users pushed.', (int) $summary['synced'], 'usersync' ), number_format_i18n( (int) $summary['synced'] ) )
				/* translators: %s: number of users */
				: sprintf( _n( '%s user synced.', '%s users synced.', (int) $summary['synced'], 'usersync' ), number_format_i18n( (int) $summary['synced'] ) ),
			/* translators: %s: number of users */
			sprintf( _n( '%s skipped.', '%s skipped.', (int) $summary['skipped'], 'usersync' ), number_format_i18n( (int) $summary['skipped'] ) ),
			/* translators: %s: number of users */
			sprintf( _n( '%s failed.', '%s failed.', (int) $summary['failed'], 'usersync' ), number_format_i18n( (int) $summary['failed'] ) ),
		);
		echo '<div class="notice ' . esc_attr( $class ) . ' is-dismissible usersync-sync-result" role="status"><p><strong>' . esc_html( implode( ' ', $parts ) ) . '</strong></p>';
		$details = array_filter(
			(array) $summary['results'],
			static fn( $r ): bool => is_array( $r ) && ( 'synced' !== $r['outcome'] || 1 === count( (array) $summary['results'] ) ) && ! empty( $r['message'] )
		);
		if ( $details ) {
			$labels = array(
				'synced'  => __( 'Synced', 'usersync' ),
				'skipped' => __( 'Skipped', 'usersync' ),
				'failed'  => __( 'Failed', 'usersync' ),
			);
			echo '<ul>';
			foreach ( array_slice( $details, 0, 50 ) as $result ) {
				printf(
					'<li><strong>%s</strong> %s: %s</li>',
					esc_html( $labels[ $result['outcome'] ] ?? $result['outcome'] ),
					esc_html( (string) $result['login'] ),
					esc_html( (string) $result['message'] )
				);
			}
			echo '</ul>';
		}
		echo '</div>';
	}

	/**
	 * The user of a profile button's request, once the capability and the nonce are checked.
	 *
	 * @param string $action Nonce action (the admin-post action).
	 */
	private function checked_request( string $action ): int {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- verified right below.
		$user_id = isset( $_GET['user'] ) ? absint( $_GET['user'] ) : 0;
		if ( ! current_user_can( Installer::MANAGE_CAP ) || ! current_user_can( 'edit_user', $user_id ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to sync this user.', 'usersync' ), 403 );
		}
		check_admin_referer( $action . '_' . $user_id );
		return $user_id;
	}

	/**
	 * Back to the profile with the result.
	 *
	 * @param int                  $user_id User.
	 * @param array<string, mixed> $summary Result.
	 */
	private function back_to_profile( int $user_id, array $summary ): void {
		$url = get_current_user_id() === $user_id ? admin_url( 'profile.php' ) : add_query_arg( 'user_id', $user_id, admin_url( 'user-edit.php' ) );
		wp_safe_redirect( add_query_arg( self::RESULT_ARG, $this->store_result( $summary ), $url ) . '#usersync' );
		exit;
	}

	/**
	 * Keeps a result for the next page of this admin; returns its key.
	 *
	 * @param array<string, mixed> $summary Result.
	 */
	private function store_result( array $summary ): string {
		$key = strtolower( wp_generate_password( 12, false ) );
		set_transient( 'usersync_result_' . get_current_user_id() . '_' . $key, $summary, self::RESULT_TTL );
		return $key;
	}

	/**
	 * A profile button's URL (admin-post.php with a nonce).
	 *
	 * @param string               $action admin-post action.
	 * @param int                  $user_id User.
	 * @param array<string, string> $extra  More arguments.
	 */
	private function action_url( string $action, int $user_id, array $extra = array() ): string {
		return wp_nonce_url(
			add_query_arg( array( 'action' => $action, 'user' => $user_id ) + $extra, admin_url( 'admin-post.php' ) ),
			$action . '_' . $user_id
		);
	}

	/**
	 * `show_user_profile` / `edit_user_profile`: the UserSync section of a profile.
	 *
	 * @param WP_User $user The user shown.
	 */
	public function render_profile( $user ): void {
		if ( ! $user instanceof WP_User || ! current_user_can( Installer::MANAGE_CAP ) ) {
			return;
		}
		$links    = Links::of_users( array( $user->ID ) )[ $user->ID ] ?? array();
		$disabled = Login_Guard::is_disabled( $user->ID );
		$due      = Deprovision_Grace::due( $user->ID );
		$last     = $this->last_sync( $user->ID );
		echo '<h2 id="usersync">' . esc_html__( 'UserSync', 'usersync' ) . '</h2>';
		echo '<table class="form-table" role="presentation"><tbody>';
		echo '<tr><th scope="row">' . esc_html__( 'Sources', 'usersync' ) . '</th><td>';
		if ( $links ) {
			$format = get_option( 'date_format' ) . ' ' . get_option( 'time_format' );
			echo '<table class="widefat striped usersync-profile-links"><caption class="screen-reader-text">' . esc_html__( 'Identity links', 'usersync' ) . '</caption><thead><tr>';
			echo '<th scope="col">' . esc_html__( 'Connection', 'usersync' ) . '</th><th scope="col">' . esc_html__( 'External ID', 'usersync' ) . '</th>';
			echo '<th scope="col">' . esc_html__( 'Last synced', 'usersync' ) . '</th><th scope="col">' . esc_html__( 'Result', 'usersync' ) . '</th><th scope="col">' . esc_html__( 'Last error', 'usersync' ) . '</th>';
			echo '</tr></thead><tbody>';
			foreach ( $links as $link ) {
				$entry = $this->link_entry( $user->ID, $link['connection'] );
				$error = $this->link_entry( $user->ID, $link['connection'], 'failure' );
				printf(
					'<tr><td>%s <code>%s</code></td><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td></tr>',
					esc_html( $this->name( $link['connection'] ) ),
					esc_html( $link['connection'] ),
					'' === $link['externalId'] ? esc_html__( '(none)', 'usersync' ) : esc_html( $link['externalId'] ),
					$entry ? esc_html( wp_date( $format, (int) strtotime( (string) $entry['createdAt'] ) ) ) : esc_html__( 'Never', 'usersync' ),
					$entry ? esc_html( 'failure' === $entry['result'] ? __( 'Failed', 'usersync' ) : __( 'Succeeded', 'usersync' ) ) . ' <span class="description">(' . esc_html( (string) $entry['action'] ) . ')</span>' : '—',
					$error ? '<span class="usersync-error">' . esc_html( (string) $error['error'] ) . '</span> <span class="description">' . esc_html( wp_date( $format, (int) strtotime( (string) $error['createdAt'] ) ) ) . '</span>' : esc_html__( 'None', 'usersync' )
				);
			}
			echo '</tbody></table>';
		} else {
			echo esc_html__( 'Not managed by a sync: no connection is linked to this user.', 'usersync' );
		}
		$targets = User_Refresh::push_targets();
		if ( $links || $targets ) {
			echo '<p class="usersync-profile-actions">';
			if ( $links ) {
				printf(
					'<a class="button" href="%s">%s</a> ',
					esc_url( $this->action_url( self::SYNC_ACTION, $user->ID ) ),
					esc_html__( 'Sync now', 'usersync' )
				);
			}
			foreach ( $targets as $slug => $name ) {
				printf(
					'<a class="button" href="%s">%s</a> ',
					esc_url( $this->action_url( self::PUSH_ACTION, $user->ID, array( 'target' => $slug ) ) ),
					/* translators: %s: peer name */
					esc_html( sprintf( __( 'Push now to %s', 'usersync' ), $name ) )
				);
			}
			echo '</p>';
		}
		echo '</td></tr>';
		echo '<tr><th scope="row">' . esc_html__( 'State', 'usersync' ) . '</th><td>';
		if ( $disabled ) {
			echo '<span class="usersync-badge">' . esc_html__( 'Disabled by sync', 'usersync' ) . '</span> ';
			echo esc_html__( 'This user cannot sign in; their roles come back when their source enables them again.', 'usersync' );
			if ( null !== $due ) {
				/* translators: %s: date and time */
				echo '<br>' . esc_html( sprintf( __( 'To be deleted after %s (grace period of the delete policy).', 'usersync' ), wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $due ) ) );
			}
		} else {
			echo esc_html__( 'Active', 'usersync' );
		}
		echo '</td></tr>';
		echo '<tr><th scope="row">' . esc_html__( 'Last sync', 'usersync' ) . '</th><td>';
		if ( $last ) {
			printf(
				/* translators: 1: date and time, 2: source, 3: action, 4: result */
				esc_html__( '%1$s — %2$s: %3$s, %4$s', 'usersync' ),
				esc_html( wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) strtotime( $last->created_at . ' UTC' ) ) ),
				esc_html( (string) $last->source ),
				esc_html( (string) $last->action ),
				esc_html( (string) $last->result )
			);
			if ( 'failure' === $last->result && '' !== (string) $last->error ) {
				echo '<br><span class="usersync-error">' . esc_html( (string) $last->error ) . '</span>';
			}
			printf(
				' <a href="%s">%s</a>',
				esc_url( add_query_arg( array( 'page' => Admin_Page::SLUG, 'tab' => 'audit', 'user' => $user->user_login ), admin_url( 'users.php' ) ) ),
				esc_html__( 'Audit log of this user', 'usersync' )
			);
		} else {
			echo esc_html__( 'No sync has written this user yet.', 'usersync' );
		}
		echo '</td></tr>';
		echo '</tbody></table>';
	}

	/**
	 * `admin_head-users.php`, `-profile.php`, `-user-edit.php`: the badge's look (the settings
	 * page's stylesheet is not loaded on these screens).
	 */
	public function print_styles(): void {
		if ( ! current_user_can( Installer::MANAGE_CAP ) ) {
			return;
		}
		echo '<style>.usersync-badge{background:#fcf0f1;border-radius:2px;color:#8a2424;display:inline-block;font-weight:600;padding:0 6px}.usersync-error{color:#8a2424}.column-' . esc_attr( self::COLUMN ) . '{width:14%}</style>';
	}

	/**
	 * The last audit entry a sync wrote about a user.
	 *
	 * @param int $user_id User id.
	 */
	private function last_sync( int $user_id ): ?object {
		global $wpdb;
		$table = $wpdb->prefix . 'usersync_audit';
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT created_at, source, action, result, error FROM {$table} WHERE user_id = %d AND actor = 'sidecar' ORDER BY id DESC LIMIT 1", $user_id ) );
		return $row ? $row : null;
	}

	/**
	 * The newest audit entry of a user in one connection's log (its own entries and its runs'),
	 * optionally only failures.
	 *
	 * @param int    $user_id    User id.
	 * @param string $connection Connection slug.
	 * @param string $result     '' or 'failure'.
	 * @return array<string, mixed>|null
	 */
	private function link_entry( int $user_id, string $connection, string $result = '' ): ?array {
		global $wpdb;
		$table = $wpdb->prefix . 'usersync_audit';
		// A connection's entries as the audit log filters them: its own and its runs'.
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT * FROM {$table} WHERE user_id = %d AND ( '' = %s OR result = %s ) AND ( source = %s OR connection = %s OR run_id IN ( SELECT r.run_id FROM {$table} r WHERE r.connection = %s AND r.run_id IS NOT NULL ) ) ORDER BY id DESC LIMIT 1", $user_id, $result, $result, 'connection:' . $connection, $connection, $connection ), ARRAY_A );
		return is_array( $row ) ? Audit_Query::to_entry( $row ) : null;
	}

	/**
	 * Links of a user of the list; the whole page's are loaded at the first call.
	 *
	 * @param int $user_id User id.
	 * @return array<int, array{connection: string, externalId: string}>
	 */
	private function links_of( int $user_id ): array {
		if ( null === $this->page_links || ! array_key_exists( $user_id, $this->page_links ) ) {
			global $wp_list_table;
			$ids = array( $user_id );
			if ( is_object( $wp_list_table ) && isset( $wp_list_table->items ) && is_array( $wp_list_table->items ) ) {
				$ids = array_merge( $ids, array_map( static fn( $user ): int => (int) $user->ID, $wp_list_table->items ) );
			}
			$this->page_links = Links::of_users( $ids ) + (array) $this->page_links;
		}
		return $this->page_links[ $user_id ] ?? array();
	}

	/**
	 * A connection's name, or its slug.
	 *
	 * @param string $slug Slug.
	 */
	private function name( string $slug ): string {
		return $this->names()[ $slug ] ?? $slug;
	}

	/**
	 * Connection names by slug.
	 *
	 * @return array<string, string>
	 */
	private function names(): array {
		if ( null === $this->names ) {
			$this->names = Connection::names();
		}
		return $this->names;
	}
}
