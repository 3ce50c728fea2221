<?php
/**
 * The role map: from a user's groups in a connection to WordPress roles.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Computes and applies roles. A user gets the roles of every rule whose group they belong
 * to, ordered by the rules' priority (lowest number first: that one is the primary role),
 * else the default role. `administrator` is never granted unless the map allows it.
 */
class Role_Mapper {

	/** A rule's `connections` entry that makes it apply to the groups of every connection. */
	public const ANY_CONNECTION = '*';

	/** Role update modes of a connection: what a sync does to an existing user's roles. */
	public const UPDATE_REPLACE = 'replace';
	public const UPDATE_ADD     = 'add';
	public const UPDATE_KEEP    = 'keep';
	public const UPDATE_MODES   = array( self::UPDATE_REPLACE, self::UPDATE_ADD, self::UPDATE_KEEP );

	/**
	 * Role map of the configuration.
	 *
	 * @var array{rules: array<int, array{group: string, role: string, priority: int}>, defaultRole: string, allowAdministrator: bool, updateModes?: array<string, string>}
	 */
	private array $role_map;

	/**
	 * Deprovisioning policy (who may be touched).
	 *
	 * @var array{touchUnlinked: bool, touchAdministrators: bool}
	 */
	private array $policy;

	/**
	 * Constructor.
	 *
	 * @param array<string, mixed>|null $config Configuration; the stored one when null.
	 */
	public function __construct( ?array $config = null ) {
		$config         = $config ?? Plugin::config()->get();
		$this->role_map = $config['roleMap'];
		$this->policy   = $config['deprovision'];
	}

	/**
	 * Whether a role may be given by a sync.
	 *
	 * @param string $role Role name.
	 */
	public function is_allowed( string $role ): bool {
		return self::may_grant( $role, (bool) $this->role_map['allowAdministrator'] );
	}

	/**
	 * Whether a sync may grant a role: it exists, is not the service role, and is not
	 * privileged (judged by its capabilities, see Protected_Accounts) unless the role map
	 * allows administrators.
	 *
	 * @param string $role                Role name.
	 * @param bool   $allow_administrator The role map's allowAdministrator.
	 */
	public static function may_grant( string $role, bool $allow_administrator ): bool {
		if ( ! wp_roles()->is_role( $role ) || Installer::SERVICE_ROLE === $role ) {
			return false;
		}
		return $allow_administrator || ! Protected_Accounts::is_privileged_role( $role );
	}

	/**
	 * The role a new user gets when nothing says otherwise ('' = none).
	 *
	 * @return string[]
	 */
	public function default_roles(): array {
		$role = $this->role_map['defaultRole'];
		return '' !== $role && $this->is_allowed( $role ) ? array( $role ) : array();
	}

	/**
	 * Roles for a set of group names of one connection. Only the rules that name this
	 * connection (or any connection) apply: a group of another connection with the same name
	 * grants nothing.
	 *
	 * @param string[] $group_names Display names of the user's groups in the connection.
	 * @param string   $connection  Connection slug the groups belong to.
	 * @return string[]
	 */
	public function roles_for_groups( array $group_names, string $connection ): array {
		$names = array_map( 'strtolower', $group_names );
		$rules = array_filter( $this->role_map['rules'], static fn( array $rule ): bool => self::rule_applies( $rule, $connection ) );
		usort( $rules, static fn( array $a, array $b ): int => $a['priority'] <=> $b['priority'] );

		$roles = array();
		foreach ( $rules as $rule ) {
			if ( in_array( strtolower( $rule['group'] ), $names, true ) && $this->is_allowed( $rule['role'] ) ) {
				$roles[] = $rule['role'];
			}
		}
		$roles = array_values( array_unique( $roles ) );
		return $roles ? $roles : $this->default_roles();
	}

	/**
	 * The role update mode of a connection: `replace` (the default), `add` or `keep`.
	 *
	 * @param string $connection Connection slug.
	 */
	public function update_mode( string $connection ): string {
		$mode = (string) ( $this->role_map['updateModes'][ $connection ] ?? self::UPDATE_REPLACE );
		return in_array( $mode, self::UPDATE_MODES, true ) ? $mode : self::UPDATE_REPLACE;
	}

	/**
	 * The roles a sync of a connection gives a user it already has, by the connection's role
	 * update mode: the mapped roles (`replace`); the current roles plus the mapped ones they
	 * lack, the primary role kept (`add`); or null, nothing to write (`keep`). New users always
	 * get the mapped roles.
	 *
	 * @param string[] $current    The user's roles now (effective_roles()).
	 * @param string[] $mapped     Roles the role map gives.
	 * @param string   $connection Connection slug.
	 * @return string[]|null
	 */
	public function roles_to_write( array $current, array $mapped, string $connection ): ?array {
		switch ( $this->update_mode( $connection ) ) {
			case self::UPDATE_KEEP:
				return null;
			case self::UPDATE_ADD:
				$current = array_values( $current );
				return array_values( array_unique( array_merge( $current, array_diff( $mapped, $current ) ) ) );
			default:
				return array_values( array_unique( $mapped ) );
		}
	}

	/**
	 * Whether a rule applies to the groups of a connection.
	 *
	 * @param array<string, mixed> $rule       Rule of the role map.
	 * @param string               $connection Connection slug.
	 */
	public static function rule_applies( array $rule, string $connection ): bool {
		$connections = isset( $rule['connections'] ) && is_array( $rule['connections'] ) ? $rule['connections'] : array( self::ANY_CONNECTION );
		return in_array( self::ANY_CONNECTION, $connections, true ) || in_array( $connection, $connections, true );
	}

	/**
	 * Whether group membership decides roles at all in a connection (rules apply to it).
	 *
	 * @param string|null $connection Connection slug; null: in any connection.
	 */
	public function has_rules( ?string $connection = null ): bool {
		if ( null === $connection ) {
			return (bool) $this->role_map['rules'];
		}
		foreach ( $this->role_map['rules'] as $rule ) {
			if ( self::rule_applies( $rule, $connection ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Recomputes the roles of users after their memberships in a connection's groups changed.
	 * Unlinked users and administrators are left alone unless the policy says otherwise.
	 *
	 * @param int[]  $user_ids   Users whose memberships changed.
	 * @param string $connection Connection slug.
	 * @return int[] Ids of users whose roles (or remembered roles) changed.
	 */
	public function recompute( array $user_ids, string $connection ): array {
		$changed = array();
		foreach ( $this->plan( $user_ids, $connection ) as $user_id => $change ) {
			if ( self::apply( get_userdata( $user_id ), $change['to'] ) ) {
				$changed[] = $user_id;
			}
		}
		return $changed;
	}

	/**
	 * What recompute() would change, without changing it: the users whose roles (or remembered
	 * roles) differ from what their groups in the connection give them. Unlinked users
	 * (unless touchUnlinked) and protected accounts are left out.
	 *
	 * @param int[]  $user_ids   Users to look at.
	 * @param string $connection Connection slug of the groups.
	 * @return array<int, array{from: string[], to: string[]}> By user id.
	 */
	public function plan( array $user_ids, string $connection ): array {
		$user_ids = array_values( array_unique( array_map( 'intval', $user_ids ) ) );
		if ( ! $user_ids || ! $this->has_rules( $connection ) ) {
			return array();
		}
		cache_users( $user_ids );
		$memberships = Plugin::groups()->groups_of_users( $user_ids, $connection );

		$plan = array();
		foreach ( $user_ids as $user_id ) {
			$user = get_userdata( $user_id );
			if ( ! $user ) {
				continue;
			}
			$linked = metadata_exists( 'user', $user_id, Connection::link_key( $connection ) );
			if ( ( ! $linked && ! $this->policy['touchUnlinked'] ) || null !== Protected_Accounts::problem( $user, $this->policy, $linked ) ) {
				continue;
			}
			$names = array_map( static fn( array $group ): string => $group['displayName'], $memberships[ $user_id ] ?? array() );
			$from  = self::effective_roles( $user );
			$to    = $this->roles_to_write( $from, $this->roles_for_groups( $names, $connection ), $connection );
			if ( null !== $to && $from !== $to ) {
				$plan[ $user_id ] = array(
					'from' => $from,
					'to'   => $to,
				);
			}
		}
		return $plan;
	}

	/**
	 * The users a new role map would give other roles: the current members of every group a
	 * rule of the old or the new map names, judged under the new map.
	 *
	 * @param array<string, mixed> $previous Configuration before.
	 * @param array<string, mixed> $next     Configuration after.
	 * @return array<int, array{connection: string, from: string[], to: string[]}> By user id.
	 */
	public static function impact( array $previous, array $next ): array {
		$names  = array_merge( array_column( $previous['roleMap']['rules'], 'group' ), array_column( $next['roleMap']['rules'], 'group' ) );
		$mapper = new self( $next );
		$impact = array();
		foreach ( Plugin::groups()->members_by_name( $names ) as $connection => $user_ids ) {
			foreach ( $mapper->plan( $user_ids, (string) $connection ) as $user_id => $change ) {
				// A user in groups of two connections: the first connection's answer stands.
				$impact[ $user_id ] = $impact[ $user_id ] ?? array( 'connection' => (string) $connection ) + $change;
			}
		}
		ksort( $impact );
		return $impact;
	}

	/**
	 * Gives the current members of mapped groups the roles a just-saved role map gives them,
	 * each user in its own transaction, audited per user.
	 *
	 * @param array<string, mixed> $previous Configuration before the save.
	 * @param array<string, mixed> $next     Configuration saved.
	 * @return int How many users got other roles.
	 */
	public static function reevaluate( array $previous, array $next ): int {
		$changed = 0;
		$mapper  = new self( $next );
		$audit   = static function ( WP_User $user, string $result, ?string $error = null ): void {
			Plugin::audit_log()->write(
				array(
					'source'     => 'role map',
					'action'     => 'update',
					'user_id'    => (int) $user->ID,
					'user_login' => $user->user_login,
					'fields'     => array( 'roles' ),
					'result'     => $result,
					'error'      => $error,
				)
			);
		};
		foreach ( self::impact( $previous, $next ) as $user_id => $change ) {
			$user        = get_userdata( $user_id );
			$transaction = new Transaction();
			try {
				// Under the user's lock, judged again on what is committed now.
				$transaction->begin( array( 'user:' . $user_id ) );
				clean_user_cache( $user_id );
				$now = $mapper->plan( array( $user_id ), $change['connection'] )[ $user_id ] ?? null;
				if ( null === $now ) {
					$transaction->commit();
					continue;
				}
				$user = get_userdata( $user_id );
				self::apply( $user, $now['to'] );
				$audit( $user, 'success' );
				$transaction->commit();
				++$changed;
			} catch ( \Throwable $error ) {
				$transaction->rollback( array( $user_id ) );
				$audit( $user, 'failure', $error->getMessage() );
			}
		}
		return $changed;
	}

	/**
	 * The roles a user holds, or would hold again once reactivated.
	 *
	 * @param WP_User $user User.
	 * @return string[]
	 */
	public static function effective_roles( WP_User $user ): array {
		if ( Login_Guard::is_disabled( $user->ID ) ) {
			$remembered = get_user_meta( $user->ID, 'usersync_disabled_roles', true );
			return is_array( $remembered ) ? array_values( array_filter( $remembered, 'is_string' ) ) : array();
		}
		return array_values( $user->roles );
	}

	/**
	 * Gives a user exactly these roles (first = primary). A disabled user keeps no roles:
	 * the roles they get back on reactivation are updated instead.
	 *
	 * @param WP_User  $user  User.
	 * @param string[] $roles Roles.
	 * @return bool Whether anything changed.
	 */
	public static function apply( WP_User $user, array $roles ): bool {
		$roles = array_values( array_unique( $roles ) );
		if ( Login_Guard::is_disabled( $user->ID ) ) {
			if ( self::effective_roles( $user ) === $roles ) {
				return false;
			}
			update_user_meta( $user->ID, 'usersync_disabled_roles', $roles );
			return true;
		}
		if ( array_values( $user->roles ) === $roles ) {
			return false;
		}
		$user->set_role( $roles[0] ?? '' );
		foreach ( array_slice( $roles, 1 ) as $role ) {
			$user->add_role( $role );
		}
		return true;
	}
}
