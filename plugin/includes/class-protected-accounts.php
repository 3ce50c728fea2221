<?php
/**
 * Accounts no sync may touch, and roles no rule may grant.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The one guard every write path asks before it adopts, changes, disables, deletes or sets
 * the password of an existing account (the batch writer, role recomputation after group
 * changes, peer password hashes, synced profile pictures, the grace-period job).
 *
 * - The sidecar's service account is never touched, whatever the settings say.
 * - The user making the request (the signed-in admin, or the service account itself) is
 *   never touched.
 * - Privileged accounts — administrators, super admins, and anyone whose roles or own
 *   capabilities include a privileged capability — are touched only with the deprovisioning
 *   setting touchAdministrators.
 * - Accounts trusted with unfiltered HTML (editors on a single site) that no connection
 *   manages are not adopted either without touchAdministrators: taking one over would let
 *   its new owner plant script for administrators to run. Once linked (a sync made them, or
 *   the admin let one be adopted), a sync manages them like anyone: mapping a group to Editor
 *   is the usual case, and those editors must be deprovisioned when they leave.
 *
 * A role is privileged when it carries one of PRIVILEGED_CAPS: judged by what it can do, not
 * by its name, so a copy of administrator under another name is privileged too.
 */
final class Protected_Accounts {

	/**
	 * Capabilities that let their holder take over users, the site or its code.
	 */
	public const PRIVILEGED_CAPS = array(
		'manage_options',
		'promote_users',
		'edit_users',
		'delete_users',
		'create_users',
		'remove_users',
		'list_users',
		'unfiltered_upload',
		'edit_plugins',
		'install_plugins',
		'activate_plugins',
		'update_plugins',
		'delete_plugins',
		'edit_themes',
		'install_themes',
		'switch_themes',
		'edit_theme_options',
		'update_core',
		'import',
		'export',
		'manage_network',
		'manage_sites',
		'manage_network_users',
		'manage_network_options',
		Installer::MANAGE_CAP,
		Installer::SERVICE_CAP,
	);

	/**
	 * Capabilities that trust their holder's markup; see the class comment.
	 */
	public const TRUSTED_MARKUP_CAPS = array( 'unfiltered_html' );

	/**
	 * Why a sync may not touch this account, or null when it may.
	 *
	 * @param WP_User              $user   Account.
	 * @param array<string, mixed> $policy The `deprovision` part of the configuration.
	 * @param bool                 $linked Whether the account is linked to the connection
	 *                                     asking (false: the sync would adopt it).
	 * @return array{code: string, message: string}|null
	 */
	public static function problem( WP_User $user, array $policy, bool $linked ): ?array {
		if ( self::is_service_account( $user ) ) {
			return array(
				'code'    => 'usersync_service_account_protected',
				'message' => sprintf(
					/* translators: %s: login */
					__( 'User "%s" is the UserSync service account; no sync changes it.', 'usersync' ),
					$user->user_login
				),
			);
		}
		$current = get_current_user_id();
		if ( $current > 0 && (int) $user->ID === $current ) {
			return array(
				'code'    => 'usersync_current_user_protected',
				'message' => sprintf(
					/* translators: %s: login */
					__( 'User "%s" is the user making this request; a sync does not change its own account.', 'usersync' ),
					$user->user_login
				),
			);
		}
		if ( empty( $policy['touchAdministrators'] ) && ( self::is_privileged( $user ) || ( ! $linked && self::trusts_markup( $user ) ) ) ) {
			return array(
				'code'    => 'usersync_administrator_protected',
				'message' => sprintf(
					/* translators: %s: login */
					__( 'User "%s" is an administrator, holds privileged capabilities, or is an editor no connection manages; syncs do not change such accounts unless the deprovisioning policy allows administrators to be managed.', 'usersync' ),
					$user->user_login
				),
			);
		}
		return null;
	}

	/**
	 * Whether the account is the sidecar's service account (by role or capability, also while
	 * it is disabled and its roles are only remembered).
	 *
	 * @param WP_User $user Account.
	 */
	public static function is_service_account( WP_User $user ): bool {
		$roles = array_merge( array_values( (array) $user->roles ), self::remembered_roles( $user ) );
		if ( in_array( Installer::SERVICE_ROLE, $roles, true ) ) {
			return true;
		}
		return ! empty( $user->caps[ Installer::SERVICE_CAP ] ) || ! empty( $user->allcaps[ Installer::SERVICE_CAP ] );
	}

	/**
	 * Whether the account is privileged: a super admin, or one of its roles (held, or remembered
	 * while disabled) or its own capabilities is privileged.
	 *
	 * @param WP_User $user Account.
	 */
	public static function is_privileged( WP_User $user ): bool {
		if ( is_multisite() && is_super_admin( $user->ID ) ) {
			return true;
		}
		foreach ( array_merge( array_values( (array) $user->roles ), self::remembered_roles( $user ) ) as $role ) {
			if ( self::is_privileged_role( (string) $role ) ) {
				return true;
			}
		}
		foreach ( self::PRIVILEGED_CAPS as $cap ) {
			if ( ! empty( $user->allcaps[ $cap ] ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Whether the account may publish unfiltered HTML (through a role it holds or remembers, or
	 * a capability of its own).
	 *
	 * @param WP_User $user Account.
	 */
	public static function trusts_markup( WP_User $user ): bool {
		foreach ( self::TRUSTED_MARKUP_CAPS as $cap ) {
			if ( ! empty( $user->allcaps[ $cap ] ) ) {
				return true;
			}
			foreach ( self::remembered_roles( $user ) as $role ) {
				$object = get_role( $role );
				if ( $object && ! empty( $object->capabilities[ $cap ] ) ) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Whether a role is privileged: administrator, the service role, or any role that carries a
	 * privileged capability.
	 *
	 * @param string $role Role name.
	 */
	public static function is_privileged_role( string $role ): bool {
		if ( 'administrator' === $role || Installer::SERVICE_ROLE === $role ) {
			return true;
		}
		$object = get_role( $role );
		if ( ! $object ) {
			return false;
		}
		foreach ( self::PRIVILEGED_CAPS as $cap ) {
			if ( ! empty( $object->capabilities[ $cap ] ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Roles remembered for a disabled account (given back when it is enabled again).
	 *
	 * @param WP_User $user Account.
	 * @return string[]
	 */
	private static function remembered_roles( WP_User $user ): array {
		if ( ! Login_Guard::is_disabled( (int) $user->ID ) ) {
			return array();
		}
		$remembered = get_user_meta( $user->ID, 'usersync_disabled_roles', true );
		return is_array( $remembered ) ? array_values( array_filter( $remembered, 'is_string' ) ) : array();
	}
}
