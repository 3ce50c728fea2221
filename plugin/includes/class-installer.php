<?php
/**
 * Creates and upgrades what the plugin stores in WordPress: tables, the service role and
 * the capabilities.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Installs the schema and the roles; safe to run again at any time.
 */
class Installer {

	public const DB_VERSION_OPTION = 'usersync_db_version';
	public const SERVICE_ROLE      = 'usersync_service';
	public const MANAGE_CAP        = 'usersync_manage';
	public const SERVICE_CAP       = 'usersync_service';

	/**
	 * Activation hook.
	 */
	public static function activate(): void {
		self::install();
	}

	/**
	 * Deactivation hook. Data, roles and tokens are kept: deactivating must not lose
	 * identity links or the audit trail; uninstall.php removes them.
	 */
	public static function deactivate(): void {
		// Scheduled work stops with the plugin; activation or the next request schedules it again.
		Audit_Retention::unschedule();
		Deprovision_Grace::unschedule();
	}

	/**
	 * Runs the installer when the stored schema version is older than the code's (after an
	 * update that replaced the files without re-activation, or on a new site of a network).
	 */
	public static function maybe_upgrade(): void {
		if ( (string) get_option( self::DB_VERSION_OPTION, '' ) !== USERSYNC_DB_VERSION ) {
			self::install();
		}
	}

	/**
	 * Creates or updates the tables, the service role and the capabilities.
	 */
	public static function install(): void {
		global $wpdb;

		require_once ABSPATH . 'wp-admin/includes/upgrade.php';

		$charset_collate = $wpdb->get_charset_collate();
		$tables          = self::tables();

		// dbDelta wants two spaces after PRIMARY KEY and one key per line.
		dbDelta(
			array(
				"CREATE TABLE {$tables['outbox']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned NOT NULL,
  action varchar(20) NOT NULL,
  changed longtext NOT NULL,
  origin varchar(191) NOT NULL DEFAULT 'local',
  created_at datetime NOT NULL,
  PRIMARY KEY  (id),
  KEY user_id (user_id),
  KEY created_at (created_at)
) $charset_collate;",
				"CREATE TABLE {$tables['audit']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  created_at datetime NOT NULL,
  actor varchar(191) NOT NULL DEFAULT '',
  source varchar(191) NOT NULL DEFAULT '',
  action varchar(20) NOT NULL,
  user_id bigint(20) unsigned NULL,
  user_login varchar(191) NOT NULL DEFAULT '',
  fields longtext NULL,
  result varchar(20) NOT NULL,
  error text NULL,
  run_id varchar(64) NULL,
  connection varchar(64) NULL,
  PRIMARY KEY  (id),
  KEY created_at (created_at),
  KEY connection (connection),
  KEY user_id (user_id),
  KEY action (action),
  KEY result (result)
) $charset_collate;",
				"CREATE TABLE {$tables['groups']} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  connection varchar(64) NOT NULL,
  display_name varchar(255) NOT NULL,
  external_id varchar(255) NULL,
  scim longtext NULL,
  created_at datetime NOT NULL,
  modified_at datetime NOT NULL,
  PRIMARY KEY  (id),
  UNIQUE KEY connection_name (connection,display_name(191)),
  KEY external_id (connection,external_id(191))
) $charset_collate;",
				"CREATE TABLE {$tables['group_members']} (
  group_id bigint(20) unsigned NOT NULL,
  user_id bigint(20) unsigned NOT NULL,
  PRIMARY KEY  (group_id,user_id),
  KEY user_id (user_id)
) $charset_collate;",
				Links::schema( $charset_collate ),
			)
		);
		Links::rebuild();

		self::add_roles();
		update_option( self::DB_VERSION_OPTION, USERSYNC_DB_VERSION, true );
	}

	/**
	 * Table names with the site's prefix.
	 *
	 * @return array{outbox: string, audit: string, groups: string, group_members: string}
	 */
	public static function tables(): array {
		global $wpdb;
		return array(
			'outbox'        => $wpdb->prefix . 'usersync_outbox',
			'audit'         => $wpdb->prefix . 'usersync_audit',
			'groups'        => $wpdb->prefix . 'usersync_groups',
			'group_members' => $wpdb->prefix . 'usersync_group_members',
		);
	}

	/**
	 * Whether a table of ours exists.
	 *
	 * @param string $key One of the keys of tables().
	 */
	public static function table_exists( string $key ): bool {
		global $wpdb;
		$table = self::tables()[ $key ];
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return $table === $wpdb->get_var( $wpdb->prepare( 'SHOW TABLES LIKE %s', $wpdb->esc_like( $table ) ) );
	}

	/**
	 * Core capabilities the service role held before it was reduced to its own capability;
	 * an upgrade takes them away.
	 */
	private const REVOKED_SERVICE_CAPS = array( 'list_users', 'create_users', 'edit_users', 'delete_users', 'promote_users', 'remove_users' );

	/**
	 * The service role the sidecar signs in with, and the admin capability.
	 *
	 * The service role can read and call UserSync's own routes, nothing else: every write it
	 * asks for goes through the plugin's usersync/v1 routes, which apply UserSync's rules
	 * (protected accounts, role map). Through core routes (wp/v2/users …) its credential can do
	 * no more than a subscriber's, so a leaked sidecar credential cannot promote anyone.
	 */
	private static function add_roles(): void {
		$caps = array(
			'read'            => true,
			self::SERVICE_CAP => true,
		);

		$role = get_role( self::SERVICE_ROLE );
		if ( ! $role ) {
			add_role( self::SERVICE_ROLE, 'UserSync service', $caps );
		} else {
			foreach ( $caps as $cap => $grant ) {
				if ( empty( $role->capabilities[ $cap ] ) ) {
					$role->add_cap( $cap, $grant );
				}
			}
			foreach ( array_keys( $role->capabilities ) as $cap ) {
				if ( ! isset( $caps[ $cap ] ) ) {
					$role->remove_cap( $cap );
				}
			}
		}
		self::revoke_service_user_caps();

		$admin = get_role( 'administrator' );
		if ( $admin && empty( $admin->capabilities[ self::MANAGE_CAP ] ) ) {
			$admin->add_cap( self::MANAGE_CAP );
		}
	}

	/**
	 * Capabilities granted to service accounts one by one (not through the role) go too.
	 */
	private static function revoke_service_user_caps(): void {
		$users = get_users(
			array(
				'role'   => self::SERVICE_ROLE,
				'fields' => 'all',
				'number' => 50,
			)
		);
		foreach ( $users as $user ) {
			foreach ( self::REVOKED_SERVICE_CAPS as $cap ) {
				if ( isset( $user->caps[ $cap ] ) ) {
					$user->remove_cap( $cap );
				}
			}
		}
	}
}
