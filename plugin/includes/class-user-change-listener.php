<?php
/**
 * Turns WordPress user events into outbox records.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Listens to every path that changes a user (admin screens, REST, WP-CLI, other plugins,
 * the batch route) and records what changed, in the vocabulary of the attribute map:
 * core fields by column name (`user_email`), the standard profile meta by key
 * (`first_name`), other meta as `meta:<key>`, BuddyPress profile fields as
 * `xprofile:<Field Name>`, plus `roles`, `password` and `active`.
 */
class User_Change_Listener {

	/**
	 * Core columns compared on profile_update, by outbox attribute name.
	 */
	private const CORE_FIELDS = array( 'user_login', 'user_email', 'user_url', 'user_nicename', 'display_name' );

	/**
	 * User meta holding a fingerprint of the user's password hash (see on_clean_user_cache()).
	 */
	public const PASSWORD_FINGERPRINT = 'usersync_pass_fp';

	/**
	 * Meta that are attributes in their own right (no `meta:` prefix).
	 */
	private const PROFILE_META = array( 'first_name', 'last_name', 'nickname', 'description', 'locale' );

	/**
	 * Per-user preferences and bookkeeping that are not identity attributes.
	 */
	private const IGNORED_META = array(
		'rich_editing',
		'syntax_highlighting',
		'comment_shortcuts',
		'admin_color',
		'use_ssl',
		'show_admin_bar_front',
		'show_welcome_panel',
		'dismissed_wp_pointers',
		'session_tokens',
		'community-events-location',
		'default_password_nag',
		'_application_passwords',
		'_new_email',
		'nav_menu_recently_edited',
	);

	/**
	 * Screen options and per-site settings WordPress keeps in user meta.
	 */
	private const IGNORED_META_PATTERN = '/^(metaboxhidden_|closedpostboxes_|meta-box-order_|screen_layout_|manage.*columnshidden$|edit_.*_per_page$)/';

	/**
	 * Start of wp_insert_user(): defer until user_register / profile_update.
	 *
	 * @param array $data Filtered user row.
	 * @return array Unchanged.
	 */
	public function on_pre_insert_user_data( $data ) {
		Plugin::outbox()->defer();
		return $data;
	}

	/**
	 * A user was created.
	 *
	 * @param int $user_id User id.
	 */
	public function on_user_register( $user_id ): void {
		$user    = get_userdata( (int) $user_id );
		$changed = array( 'roles' );
		if ( $user ) {
			foreach ( self::CORE_FIELDS as $field ) {
				if ( '' !== (string) $user->$field ) {
					$changed[] = $field;
				}
			}
			$changed[] = 'password';
		}
		Plugin::outbox()->record( (int) $user_id, 'create', $changed );
		Plugin::outbox()->release();
	}

	/**
	 * An existing user was saved through wp_insert_user() / wp_update_user().
	 *
	 * @param int          $user_id       User id.
	 * @param WP_User|null $old_user_data The user before the save.
	 */
	public function on_profile_update( $user_id, $old_user_data = null ): void {
		$changed = array();
		$user    = get_userdata( (int) $user_id );
		if ( $user && $old_user_data instanceof WP_User ) {
			foreach ( self::CORE_FIELDS as $field ) {
				if ( (string) $old_user_data->data->$field !== (string) $user->data->$field ) {
					$changed[] = $field;
				}
			}
			if ( $old_user_data->data->user_pass !== $user->data->user_pass ) {
				$changed[] = 'password';
			}
		}
		$action = array( 'password' ) === $changed ? 'password' : 'update';
		Plugin::outbox()->record( (int) $user_id, $action, $changed );
		Plugin::outbox()->release();
	}

	/**
	 * set_user_role, add_user_role and remove_user_role.
	 *
	 * @param int $user_id User id.
	 */
	public function on_role_change( $user_id ): void {
		Plugin::outbox()->record( (int) $user_id, 'update', array( 'roles' ) );
	}

	/**
	 * added_user_meta and updated_user_meta.
	 *
	 * @param int    $meta_id    Meta row id.
	 * @param int    $user_id    User id.
	 * @param string $meta_key   Key.
	 * @param mixed  $meta_value New value.
	 */
	public function on_meta_set( $meta_id, $user_id, $meta_key, $meta_value ): void {
		if ( 'usersync_disabled' === $meta_key ) {
			$disabled = '1' === (string) $meta_value;
			Plugin::outbox()->record( (int) $user_id, $disabled ? 'disable' : 'enable', array( 'active' ) );
			return;
		}
		if ( '' === $meta_value && 'added_user_meta' === current_action() ) {
			return; // wp_insert_user() adds every profile key, empty ones included.
		}
		$name = self::attribute_for_meta( (string) $meta_key );
		if ( null !== $name ) {
			Plugin::outbox()->record( (int) $user_id, 'update', array( $name ) );
		}
	}

	/**
	 * deleted_user_meta.
	 *
	 * @param array  $meta_ids Meta row ids.
	 * @param int    $user_id  User id.
	 * @param string $meta_key Key.
	 */
	public function on_meta_deleted( $meta_ids, $user_id, $meta_key ): void {
		if ( 'usersync_disabled' === $meta_key ) {
			Plugin::outbox()->record( (int) $user_id, 'enable', array( 'active' ) );
			return;
		}
		$name = self::attribute_for_meta( (string) $meta_key );
		if ( null !== $name ) {
			Plugin::outbox()->record( (int) $user_id, 'update', array( $name ) );
		}
	}

	/**
	 * BuddyPress's xprofile_data_after_save and xprofile_data_after_delete: a profile field
	 * value saved or removed (BP_XProfile_ProfileData::save() and ::delete() pass themselves),
	 * whether by the member's profile form, an admin or another plugin.
	 *
	 * @param object $data The profile data (user_id, field_id).
	 */
	public function on_xprofile_data( $data ): void {
		if ( ! is_object( $data ) || empty( $data->user_id ) || empty( $data->field_id ) ) {
			return;
		}
		$target = Xprofile::target_of_field( (int) $data->field_id );
		if ( null !== $target ) {
			Plugin::outbox()->record( (int) $data->user_id, 'update', array( $target ) );
		}
	}

	/**
	 * password_reset: the reset sets the password, then fires after_password_reset.
	 */
	public function on_password_reset_start(): void {
		Plugin::outbox()->defer();
	}

	/**
	 * after_password_reset.
	 *
	 * @param WP_User $user User.
	 */
	public function on_after_password_reset( $user ): void {
		if ( $user instanceof WP_User ) {
			Plugin::outbox()->record( $user->ID, 'password', array( 'password' ) );
		}
		Plugin::outbox()->release();
	}

	/**
	 * wp_set_password (WordPress 6.2+): a password set outside a profile save.
	 *
	 * @param string $password Plain password (ignored).
	 * @param int    $user_id  User id.
	 */
	public function on_set_password( $password, $user_id ): void {
		Plugin::outbox()->record( (int) $user_id, 'password', array( 'password' ) );
	}

	/**
	 * delete_user / wpmu_delete_user: deleting removes every meta row first; merge all of
	 * it into the one delete row.
	 */
	public function on_delete_user_start(): void {
		Plugin::outbox()->defer();
	}

	/**
	 * deleted_user.
	 *
	 * @param int $user_id User id.
	 */
	public function on_deleted_user( $user_id ): void {
		Plugin::groups()->remove_user( (int) $user_id );
		Plugin::outbox()->record( (int) $user_id, 'delete', array() );
		Plugin::outbox()->release();
	}

	/**
	 * remove_user_from_blog (multisite): gone from this site.
	 *
	 * @param int $user_id User id.
	 * @param int $blog_id Site id.
	 */
	public function on_removed_from_site( $user_id, $blog_id = 0 ): void {
		if ( (int) $blog_id === get_current_blog_id() ) {
			Plugin::groups()->remove_user( (int) $user_id );
			Plugin::outbox()->record( (int) $user_id, 'delete', array() );
		}
	}

	/**
	 * clean_user_cache: WordPress cleans a user's cache after every write to the users table,
	 * including the writes that fire no other hook (wp_set_password() before WordPress 6.2,
	 * plugins updating columns directly). The row as it is now is compared with the user
	 * object WordPress still held, and the password with a fingerprint of the last one seen,
	 * so a password set by any path is noticed even when the user was not loaded before.
	 *
	 * @param int          $user_id User id.
	 * @param WP_User|null $user    The user as cached before the write.
	 */
	public function on_clean_user_cache( $user_id, $user = null ): void {
		global $wpdb;

		$user_id = (int) $user_id;
		if ( $user_id <= 0 ) {
			return;
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$row = $wpdb->get_row( $wpdb->prepare( "SELECT user_login, user_email, user_url, user_nicename, display_name, user_pass FROM {$wpdb->users} WHERE ID = %d", $user_id ) );
		if ( ! $row ) {
			return; // Being deleted: deleted_user records that.
		}

		$changed = array();
		$before  = $user instanceof WP_User && isset( $user->data ) && is_object( $user->data ) ? $user->data : null;
		if ( $before ) {
			foreach ( self::CORE_FIELDS as $field ) {
				if ( isset( $before->$field ) && (string) $before->$field !== (string) $row->$field ) {
					$changed[] = $field;
				}
			}
		}

		$fingerprint = self::password_fingerprint( (string) $row->user_pass );
		$stored      = (string) get_user_meta( $user_id, self::PASSWORD_FINGERPRINT, true );
		if ( ( $before && isset( $before->user_pass ) && (string) $before->user_pass !== (string) $row->user_pass )
			|| ( '' !== $stored && ! hash_equals( $stored, $fingerprint ) ) ) {
			$changed[] = 'password';
		}
		if ( $stored !== $fingerprint ) {
			update_user_meta( $user_id, self::PASSWORD_FINGERPRINT, $fingerprint );
		}

		if ( $changed ) {
			Plugin::outbox()->record( $user_id, array( 'password' ) === $changed ? 'password' : 'update', $changed );
		}
	}

	/**
	 * shutdown: nothing pending is ever lost, even when a deferral never ended; then the
	 * sidecar is told, without waiting for it, that the feed has new entries.
	 */
	public function on_shutdown(): void {
		Plugin::outbox()->flush();
		if ( Plugin::outbox()->written() > 0 ) {
			Change_Nudge::request();
		}
		Change_Nudge::send_if_requested();
	}

	/**
	 * A short, one-way fingerprint of a password hash: enough to notice that it changed.
	 *
	 * @param string $hash Password hash from the users table.
	 */
	private static function password_fingerprint( string $hash ): string {
		return substr( hash( 'sha256', 'usersync-password|' . $hash ), 0, 16 );
	}

	/**
	 * The outbox name of a meta key, or null when the key is not an attribute.
	 *
	 * @param string $key Meta key.
	 */
	private static function attribute_for_meta( string $key ): ?string {
		global $wpdb;

		if ( 0 === strpos( $key, 'usersync_' ) || in_array( $key, self::IGNORED_META, true ) || preg_match( self::IGNORED_META_PATTERN, $key ) ) {
			return null;
		}
		if ( in_array( $key, self::PROFILE_META, true ) ) {
			return $key;
		}
		$prefix = $wpdb->get_blog_prefix();
		if ( $prefix . 'capabilities' === $key ) {
			return 'roles';
		}
		// Per-site settings and other sites' roles: wp_user-settings, wp_2_capabilities, ….
		$per_site = '/^' . preg_quote( $wpdb->base_prefix, '/' ) . '(\\d+_)?(capabilities|user_level|user-settings|user-settings-time|dashboard_quick_press_last_post_id|persisted_preferences)$/';
		if ( preg_match( $per_site, $key ) ) {
			return null;
		}
		return 'meta:' . $key;
	}
}
