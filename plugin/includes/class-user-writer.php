<?php
/**
 * Applies a batch of user operations from one connection.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The write path every connector and SCIM go through. Each operation runs in its own
 * transaction: it is applied entirely or not at all, and a failing operation never stops
 * the others. Whatever can be checked before writing is checked in bulk up front (existing
 * logins, emails and external ids of the whole batch in one query each; target users and
 * their meta primed in two), and an operation that changes nothing writes nothing.
 *
 * This class resolves the target and applies creates and updates; the operation's shape and
 * values are User_Operation's, disabling, reactivating and deleting are User_Lifecycle's,
 * meta writes User_Meta_Writer's, and the transaction, audit row and result of each
 * operation the Batch_Envelope it shares with the group writer.
 */
class User_Writer {

	public const ACTIONS = User_Operation::ACTIONS;

	/** Audit field of a rename that names the login before it: `previous_login:<login>`. */
	public const PREVIOUS_LOGIN_FIELD = 'previous_login:';

	/**
	 * Connection slug.
	 *
	 * @var string
	 */
	private string $connection;

	/**
	 * Audit source, e.g. 'scim:Entra production'.
	 *
	 * @var string
	 */
	private string $source;

	/**
	 * Run id for the audit log.
	 *
	 * @var string|null
	 */
	private ?string $run_id;

	/**
	 * Configuration.
	 *
	 * @var array<string, mixed>
	 */
	private array $config;

	/**
	 * Role map.
	 *
	 * @var Role_Mapper
	 */
	private Role_Mapper $roles;

	/**
	 * Meta writes, and the fast path for a new user's first meta.
	 *
	 * @var User_Meta_Writer
	 */
	private User_Meta_Writer $meta;

	/**
	 * Disabling, reactivating and deleting users.
	 *
	 * @var User_Lifecycle
	 */
	private User_Lifecycle $lifecycle;

	/**
	 * Transaction, audit and result of each operation.
	 *
	 * @var Batch_Envelope
	 */
	private Batch_Envelope $envelope;

	/**
	 * Snapshot builder for this connection.
	 *
	 * @var User_Snapshot
	 */
	private User_Snapshot $snapshots;

	/**
	 * Known logins (lowercase) → user id, for the logins this batch names.
	 *
	 * @var array<string, int>
	 */
	private array $logins = array();

	/**
	 * Known emails (lowercase) → user id, for the emails this batch names.
	 *
	 * @var array<string, int>
	 */
	private array $emails = array();

	/**
	 * Known external ids of this connection → user id, for the ids this batch names.
	 *
	 * @var array<string, int>
	 */
	private array $external_ids = array();

	/**
	 * Constructor.
	 *
	 * @param string      $connection Connection slug.
	 * @param string      $source     Audit source.
	 * @param string|null $run_id     Run id.
	 */
	public function __construct( string $connection, string $source, ?string $run_id = null ) {
		$this->connection = $connection;
		$this->source     = $source;
		$this->run_id     = $run_id;
		$this->config     = Plugin::config()->get();
		$this->roles      = new Role_Mapper( $this->config );
		$this->snapshots  = new User_Snapshot( $connection );
		$this->envelope   = new Batch_Envelope( $connection, $source, $run_id );
		$this->meta       = new User_Meta_Writer();
		$this->lifecycle  = new User_Lifecycle(
			$connection,
			$source,
			$run_id,
			$this->config,
			$this->roles,
			fn( ...$args ): array => $this->transaction( ...$args ),
			function ( ...$args ): void {
				$this->audit( ...$args );
			},
			function ( string $login, string $email, string $link ): void {
				unset( $this->logins[ $login ], $this->emails[ $email ], $this->external_ids[ $link ] );
			}
		);
	}

	/**
	 * Applies operations in order.
	 *
	 * @param array<int, mixed> $operations Operations as decoded from JSON.
	 * @return array<int, array<string, mixed>> One result per operation, same order.
	 */
	public function apply( array $operations ): array {
		require_once ABSPATH . 'wp-admin/includes/user.php';

		$previous_origin = Plugin::outbox()->set_origin( $this->connection );
		// Provisioning must not mail users about changes their identity provider made.
		add_filter( 'send_password_change_email', '__return_false', 99 );
		add_filter( 'send_email_change_email', '__return_false', 99 );

		$this->prefetch( $operations );

		// WordPress recounts all users after each insert and delete; once per batch is enough.
		$recount = has_action( 'user_register', 'wp_maybe_update_user_counts' ) !== false;
		if ( $recount ) {
			remove_action( 'user_register', 'wp_maybe_update_user_counts', 10 );
			remove_action( 'deleted_user', 'wp_maybe_update_user_counts', 10 );
		}

		// Users named by more than one operation get their snapshot right away; the others
		// are built together at the end.
		$id_counts = array_count_values(
			array_map( 'strval', array_filter( array_column( array_filter( $operations, 'is_array' ), 'id' ), 'is_int' ) )
		);

		$results  = array();
		$deferred = array();
		foreach ( array_values( $operations ) as $index => $operation ) {
			$ref = Batch_Envelope::ref( $operation, $index );
			try {
				try {
					$op = User_Operation::normalize( $operation, $ref, $this->roles );
				} catch ( Operation_Error $invalid ) {
					$this->audit( $this->raw_audit_action( $operation ), null, User_Operation::raw_login( $operation ), array(), 'failure', $invalid->getMessage() );
					throw $invalid;
				}
				$outcome = $this->apply_atomically( $op );
				$result  = Batch_Envelope::success( $ref, $outcome['status'], 'user', null );
				if ( null !== $outcome['user_id'] ) {
					$this->snapshots->forget( $outcome['user_id'] );
					if ( ( $id_counts[ (string) $outcome['user_id'] ] ?? 0 ) > 1 ) {
						$result['user'] = $this->snapshots->build_many( array( $outcome['user_id'] ) )[ $outcome['user_id'] ] ?? null;
					} else {
						$deferred[ $index ] = $outcome['user_id'];
					}
				}
			} catch ( Operation_Error $error ) {
				$result = Batch_Envelope::failure( $ref, $error );
			}
			$results[ $index ] = $result;
		}

		if ( $deferred ) {
			$snapshots = $this->snapshots->build_many( array_values( array_unique( $deferred ) ) );
			foreach ( $deferred as $index => $user_id ) {
				$results[ $index ]['user'] = $snapshots[ $user_id ] ?? null;
			}
		}

		if ( $recount ) {
			add_action( 'user_register', 'wp_maybe_update_user_counts', 10, 0 );
			add_action( 'deleted_user', 'wp_maybe_update_user_counts', 10, 0 );
			foreach ( $results as $result ) {
				if ( $result['ok'] && in_array( $result['status'], array( 'created', 'deleted' ), true ) ) {
					wp_maybe_update_user_counts();
					break;
				}
			}
		}

		remove_filter( 'send_password_change_email', '__return_false', 99 );
		remove_filter( 'send_email_change_email', '__return_false', 99 );
		Plugin::outbox()->set_origin( $previous_origin );

		return $results;
	}

	/**
	 * Loads, in a fixed number of queries, what the checks of the whole batch need.
	 *
	 * @param array<int, mixed> $operations Raw operations.
	 */
	private function prefetch( array $operations ): void {
		global $wpdb;

		$ids          = array();
		$logins       = array();
		$emails       = array();
		$external_ids = array();
		foreach ( $operations as $operation ) {
			if ( ! is_array( $operation ) ) {
				continue;
			}
			if ( isset( $operation['id'] ) && is_int( $operation['id'] ) ) {
				$ids[] = $operation['id'];
			}
			$user = isset( $operation['user'] ) && is_array( $operation['user'] ) ? $operation['user'] : array();
			if ( isset( $user['login'] ) && is_string( $user['login'] ) && '' !== $user['login'] ) {
				$logins[] = $user['login'];
			}
			if ( isset( $user['email'] ) && is_string( $user['email'] ) ) {
				$email = User_Operation::stored_email( $user['email'] );
				if ( '' !== $email ) {
					$emails[] = $email;
				}
			}
			// A create checks its external id under its lock anyway (see create()).
			$creates = isset( $operation['action'] ) && 'create' === $operation['action'];
			if ( ! $creates && isset( $user['externalId'] ) && is_string( $user['externalId'] ) && '' !== $user['externalId'] ) {
				$external_ids[] = $user['externalId'];
			}
		}

		$this->snapshots->prime( $ids );

		if ( $logins || $emails ) {
			$where = array();
			if ( $logins ) {
				$where[] = 'user_login IN (' . implode( ',', array_map( static fn( $v ) => $wpdb->prepare( '%s', $v ), array_unique( $logins ) ) ) . ')';
			}
			if ( $emails ) {
				$where[] = 'user_email IN (' . implode( ',', array_map( static fn( $v ) => $wpdb->prepare( '%s', $v ), array_unique( $emails ) ) ) . ')';
			}
			// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
			$rows = $wpdb->get_results( "SELECT ID, user_login, user_email FROM {$wpdb->users} WHERE " . implode( ' OR ', $where ) );
			foreach ( $rows as $row ) {
				$this->logins[ strtolower( $row->user_login ) ] = (int) $row->ID;
				if ( '' !== $row->user_email ) {
					$this->emails[ strtolower( $row->user_email ) ] = (int) $row->ID;
				}
			}
		}

		if ( $external_ids ) {
			$this->external_ids = Links::owners( $this->connection, $external_ids ) + $this->external_ids;
		}
	}

	/**
	 * Applies one operation atomically: a write to an existing user holds that user's lock
	 * from its first read to its commit, so its policy and ifMatch checks see what the last
	 * write committed and no concurrent write of the user is lost or overwritten; caches of
	 * the user are dropped before every attempt. An attempt the database undid for a
	 * deadlock is run again from its first read (Transaction::retry()).
	 *
	 * @param array<string, mixed> $op Operation.
	 * @return array{status: string, user_id: ?int}
	 * @throws Operation_Error On failure (nothing was written).
	 */
	private function apply_atomically( array $op ): array {
		$user_id = 'create' === $op['action'] ? null : (int) $op['id'];
		$locks   = null === $user_id ? array() : array( 'user:' . $user_id );
		return Transaction::hold(
			$locks,
			fn(): array => Transaction::retry(
				function () use ( $op, $user_id ): array {
					if ( null !== $user_id ) {
						$this->forget_user( $user_id );
					}
					return $this->apply_one( $this->as_reprovisioning( $op ) );
				}
			)
		);
	}

	/**
	 * Whether an update may re-link an account that is not linked to this connection:
	 * reprovisioning, when an IdP assigns again a person it unassigned. The account
	 * qualifies when this connection created it or linked it before and unlinked it; when it
	 * was unlinked from an external id, only that external id may come back. Every other
	 * check of target() still applies.
	 *
	 * @param WP_User              $user User.
	 * @param array<string, mixed> $op   Operation.
	 */
	private function may_reprovision( WP_User $user, array $op ): bool {
		if ( 'update' !== $op['action'] ) {
			return false;
		}
		$id      = (int) $user->ID;
		$created = (string) get_user_meta( $id, 'usersync_created_by', true ) === $this->connection;
		$record  = metadata_exists( 'user', $id, User_Lifecycle::unlinked_key( $this->connection ) );
		if ( ! $created && ! $record ) {
			return false;
		}
		$was = $record ? (string) get_user_meta( $id, User_Lifecycle::unlinked_key( $this->connection ), true ) : '';
		return '' === $was || ( $op['user']['externalId'] ?? null ) === $was;
	}

	/**
	 * An update re-linking an account this connection unlinked comes back enabled, with the
	 * roles the role map gives it now (its groups were left on unlink), not those it had.
	 *
	 * @param array<string, mixed> $op Operation.
	 * @return array<string, mixed>
	 */
	private function as_reprovisioning( array $op ): array {
		if ( 'update' !== $op['action'] || $this->is_linked( (int) $op['id'] ) ) {
			return $op;
		}
		$user = get_userdata( $op['id'] );
		if ( ! $user || ! $this->may_reprovision( $user, $op ) ) {
			return $op;
		}
		$op['user'] += array(
			'active' => true,
			'roles'  => $this->roles->default_roles(),
		);
		return $op;
	}

	/**
	 * Drops every cached copy of a user, so the next read is what the database holds now.
	 *
	 * @param int $user_id User id.
	 */
	private function forget_user( int $user_id ): void {
		wp_cache_delete( $user_id, 'users' );
		wp_cache_delete( $user_id, 'user_meta' );
		$this->snapshots->forget( $user_id );
	}

	/**
	 * Applies one validated operation.
	 *
	 * @param array<string, mixed> $op Operation.
	 * @return array{status: string, user_id: ?int}
	 * @throws Operation_Error On failure (nothing was written).
	 */
	private function apply_one( array $op ): array {
		if ( 'create' === $op['action'] ) {
			return $this->create( $op );
		}

		try {
			$user = $this->target( $op );
		} catch ( Operation_Error $error ) {
			$known = get_userdata( $op['id'] );
			$this->audit( $this->audit_action( $op['action'] ), $op['id'], $known ? $known->user_login : '', array(), 'failure', $error->getMessage() );
			throw $error;
		}

		switch ( $op['action'] ) {
			case 'update':
				return $this->update( $op, $user );
			case 'deprovision':
			case 'delete':
				return $this->lifecycle->deprovision( $op['action'], $user, ! empty( $op['purge'] ) );
			default:
				return $this->lifecycle->reactivate( $user );
		}
	}

	/**
	 * The existing user an operation addresses, after the policy and ifMatch checks.
	 *
	 * @param array<string, mixed> $op Operation.
	 * @throws Operation_Error When the user may not be touched.
	 */
	private function target( array $op ): WP_User {
		$user = get_userdata( $op['id'] );
		if ( ! $user || ( is_multisite() && ! is_user_member_of_blog( $user->ID ) ) ) {
			/* translators: %d: user id */
			throw new Operation_Error( 404, 'usersync_not_found', sprintf( __( 'There is no user with id %d.', 'usersync' ), $op['id'] ) );
		}
		$policy = $this->config['deprovision'];
		// An account this connection made or linked before, unlinked by its DELETE, is its own.
		$linked = $this->is_linked( $user->ID ) || $this->may_reprovision( $user, $op );
		if ( ! $linked && ! $policy['touchUnlinked'] ) {
			throw new Operation_Error(
				404,
				'usersync_not_found',
				/* translators: 1: user id, 2: connection */
				sprintf( __( 'User %1$d is not linked to the connection "%2$s".', 'usersync' ), $user->ID, $this->connection )
			);
		}
		// Protected accounts (the service account, the requester, privileged users) are never
		// adopted or changed, whatever touchUnlinked says.
		$protected = Protected_Accounts::problem( $user, $policy, $linked );
		if ( null !== $protected ) {
			throw new Operation_Error( 403, $protected['code'], $protected['message'] );
		}
		if ( null !== $op['ifMatch'] ) {
			$current = $this->snapshots->build( $user )['version'];
			if ( ! hash_equals( $current, $op['ifMatch'] ) ) {
				/* translators: 1: expected version, 2: current version */
				throw new Operation_Error( 412, 'usersync_precondition_failed', sprintf( __( 'The user changed since it was read (ifMatch %1$s, current %2$s).', 'usersync' ), $op['ifMatch'], $current ) );
			}
		}
		return $user;
	}

	/**
	 * Creates a user linked to the connection.
	 *
	 * @param array<string, mixed> $op Operation.
	 * @return array{status: string, user_id: int}
	 * @throws Operation_Error On failure.
	 */
	private function create( array $op ): array {
		$data   = $op['user'];
		$fields = User_Operation::field_names( $data );
		$login  = $data['login'];
		$email  = $data['email'] ?? '';

		try {
			if ( isset( $this->logins[ strtolower( $login ) ] ) ) {
				/* translators: %s: login */
				throw new Operation_Error( 409, 'usersync_login_exists', sprintf( __( 'A user with the login "%s" already exists.', 'usersync' ), $login ), 'uniqueness' );
			}
			if ( '' !== $email && isset( $this->emails[ strtolower( $email ) ] ) ) {
				/* translators: %s: email */
				throw new Operation_Error( 409, 'usersync_email_exists', sprintf( __( 'A user with the email "%s" already exists.', 'usersync' ), $email ), 'uniqueness' );
			}
			$external_id = $data['externalId'] ?? null;
			if ( null !== $external_id && isset( $this->external_ids[ $external_id ] ) ) {
				throw new Operation_Error(
					409,
					'usersync_external_id_exists',
					/* translators: 1: external id, 2: connection */
					sprintf( __( 'The external id "%1$s" is already linked to another user in "%2$s".', 'usersync' ), $external_id, $this->connection ),
					'uniqueness'
				);
			}
		} catch ( Operation_Error $error ) {
			$this->audit( 'create', null, $login, $fields, 'failure', $error->getMessage() );
			throw $error;
		}

		$roles   = $data['roles'] ?? $this->roles->default_roles();
		$created = 0;

		$result = $this->transaction(
			'create',
			null,
			$login,
			$fields,
			function () use ( $data, $roles, $login, $email, $external_id, &$created ): array {
				if ( null !== $external_id ) {
					// Under the lock: a concurrent request may have linked this id meanwhile.
					$owner = Links::owner( $this->connection, $external_id );
					if ( null !== $owner ) {
						throw new Operation_Error(
							409,
							'usersync_external_id_exists',
							/* translators: 1: external id, 2: connection */
							sprintf( __( 'The external id "%1$s" is already linked to another user in "%2$s".', 'usersync' ), $external_id, $this->connection ),
							'uniqueness'
						);
					}
				}
				$userdata = array(
					'user_login' => $login,
					'user_email' => $email,
					'user_pass'  => $data['password'] ?? wp_generate_password( 24 ),
					'role'       => $roles[0] ?? '',
				);
				foreach ( User_Operation::CORE as $field => $wp_field ) {
					if ( isset( $data[ $field ] ) && ! isset( $userdata[ $wp_field ] ) ) {
						$userdata[ $wp_field ] = $data[ $field ];
					}
				}
				$id = $this->meta->insert_user( $userdata );
				if ( is_wp_error( $id ) ) {
					throw Operation_Error::from_wp_error( $id );
				}
				$created = (int) $id;

				$user = get_userdata( $created );
				foreach ( array_slice( $roles, 1 ) as $role ) {
					$user->add_role( $role );
				}

				// A new user has no meta of ours yet: one plain insert, no uniqueness lookups.
				$private = array(
					Connection::link_key( $this->connection ) => $external_id ?? '',
					'usersync_created_by'                     => $this->connection,
				);
				if ( isset( $data['scim'] ) ) {
					$private[ Connection::scim_key( $this->connection ) ] = User_Meta_Writer::json( $data['scim'] );
				}
				if ( isset( $data['avatarUrl'] ) && '' !== $data['avatarUrl'] ) {
					$private[ Avatar_Urls::META ] = $data['avatarUrl'];
				}
				User_Meta_Writer::add_private_meta( $created, $private );
				if ( ! Links::add( $this->connection, $created, $external_id ?? '' ) ) {
					throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not store the identity link.', 'usersync' ) );
				}
				foreach ( $data['meta'] ?? array() as $key => $value ) {
					if ( null === $value ) {
						continue;
					}
					// wp_insert_user() already wrote its profile keys (description, locale, …):
					// those are updated, never added a second time.
					if ( metadata_exists( 'user', $created, (string) $key ) ) {
						update_user_meta( $created, (string) $key, wp_slash( $value ) );
					} else {
						add_user_meta( $created, (string) $key, wp_slash( $value ) );
					}
				}
				foreach ( $data['xprofile'] ?? array() as $name => $value ) {
					if ( null !== $value && '' !== $value ) {
						Xprofile::set( $created, (string) $name, $value );
					}
				}
				if ( false === ( $data['active'] ?? true ) ) {
					$this->lifecycle->disable( get_userdata( $created ) );
				}
				return array(
					'status'  => 'created',
					'user_id' => $created,
				);
			},
			static function () use ( &$created ): array {
				return $created ? array( $created ) : array();
			},
			$this->claims( $login, $email, $external_id )
		);

		$this->logins[ strtolower( $login ) ] = $result['user_id'];
		if ( '' !== $email ) {
			$this->emails[ strtolower( $email ) ] = $result['user_id'];
		}
		if ( null !== $external_id ) {
			$this->external_ids[ $external_id ] = $result['user_id'];
		}
		return $result;
	}

	/**
	 * Updates the fields present; writes nothing when nothing differs.
	 *
	 * @param array<string, mixed> $op   Operation.
	 * @param WP_User              $user Target.
	 * @return array{status: string, user_id: int}
	 * @throws Operation_Error On failure.
	 */
	private function update( array $op, WP_User $user ): array {
		$data    = $op['user'];
		$id      = (int) $user->ID;
		try {
			$changes = $this->diff( $user, $data );
		} catch ( Operation_Error $error ) {
			$this->audit( 'update', $id, $user->user_login, User_Operation::field_names( $data ), 'failure', $error->getMessage() );
			throw $error;
		}
		$names = array_keys( $changes );

		if ( ! $changes ) {
			$this->audit( 'update', $id, $user->user_login, array(), 'skipped', null );
			return array(
				'status'  => 'unchanged',
				'user_id' => $id,
			);
		}

		$toggled = $changes['active'] ?? null;
		$action  = null === $toggled ? 'update' : ( $toggled ? 'enable' : 'disable' );
		$status  = null === $toggled ? 'updated' : ( $toggled ? 'reactivated' : 'disabled' );

		// A deactivation under "when a source deactivates a user: delete" is a deletion: at once
		// (the other changes do not matter then), or after the grace period like a removal.
		$due    = null;
		$policy = $this->config['deprovision'];
		if ( false === $toggled && 'delete' === $policy['deactivate'] ) {
			if ( $policy['graceDays'] <= 0 ) {
				return $this->lifecycle->delete_user( $user );
			}
			$this->lifecycle->check_deletable( $user, 'disable' );
			if ( null === Deprovision_Grace::due( $id ) ) {
				$due     = Deprovision_Grace::deadline( $policy['graceDays'] );
				$names[] = Deprovision_Grace::scheduled_field( $due );
			}
		}
		$old     = array(
			'login' => strtolower( $user->user_login ),
			'email' => strtolower( $user->user_email ),
			'link'  => (string) get_user_meta( $id, Connection::link_key( $this->connection ), true ),
		);

		// A rename is audited under the new login and names the old one, so that the audit
		// log's user filter finds the person under both.
		$audit_login = $user->user_login;
		if ( isset( $changes['user_login'] ) ) {
			$audit_login = $changes['user_login'];
			$names[]     = self::PREVIOUS_LOGIN_FIELD . $user->user_login;
		}

		$this->transaction(
			$action,
			$id,
			$audit_login,
			$names,
			function () use ( $id, $changes, $toggled, $due ): array {
				if ( isset( $changes['user_login'] ) ) {
					$this->rename( $id, $changes['user_login'] );
				}
				if ( array_key_exists( 'source_login', $changes ) ) {
					User_Meta_Writer::write_meta( $id, Connection::source_login_key( $this->connection ), $changes['source_login'] );
				}
				$core = array_intersect_key( $changes, array_flip( array( 'user_email', 'first_name', 'last_name', 'display_name', 'nickname', 'user_url', 'description', 'user_pass' ) ) );
				if ( $core ) {
					$result = wp_update_user( wp_slash( array( 'ID' => $id ) + $core ) );
					if ( is_wp_error( $result ) ) {
						throw Operation_Error::from_wp_error( $result );
					}
				}
				if ( true === $toggled ) {
					$this->lifecycle->restore( get_userdata( $id ) );
				}
				if ( isset( $changes['roles'] ) ) {
					Role_Mapper::apply( get_userdata( $id ), $changes['roles'] );
				}
				foreach ( $changes as $name => $value ) {
					if ( 0 !== strpos( $name, 'meta:' ) ) {
						continue;
					}
					User_Meta_Writer::write_meta( $id, substr( $name, 5 ), $value );
				}
				if ( array_key_exists( 'avatar', $changes ) ) {
					User_Meta_Writer::write_meta( $id, Avatar_Urls::META, $changes['avatar'] );
				}
				foreach ( $changes as $name => $value ) {
					if ( 0 === strpos( $name, Xprofile::TARGET_PREFIX ) ) {
						Xprofile::set( $id, substr( $name, strlen( Xprofile::TARGET_PREFIX ) ), $value );
					}
				}
				if ( array_key_exists( 'externalId', $changes ) ) {
					User_Meta_Writer::write_meta( $id, Connection::link_key( $this->connection ), $changes['externalId'] ?? '' );
					User_Meta_Writer::write_meta( $id, User_Lifecycle::unlinked_key( $this->connection ), null );
				}
				if ( array_key_exists( 'scim', $changes ) ) {
					User_Meta_Writer::write_meta( $id, Connection::scim_key( $this->connection ), null === $changes['scim'] ? null : User_Meta_Writer::json( $changes['scim'] ) );
				}
				if ( false === $toggled ) {
					$this->lifecycle->disable( get_userdata( $id ) );
				}
				if ( null !== $due ) {
					Deprovision_Grace::schedule_user( $id, $due, $this->connection, $this->source, $this->run_id );
				}
				return array(
					'status'  => '',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id ),
			$this->claims( $changes['user_login'] ?? '', $changes['user_email'] ?? '', $changes['externalId'] ?? null )
		);

		if ( isset( $changes['user_login'] ) ) {
			unset( $this->logins[ $old['login'] ] );
			$this->logins[ strtolower( $changes['user_login'] ) ] = $id;
		}
		if ( isset( $changes['user_email'] ) ) {
			unset( $this->emails[ $old['email'] ] );
			if ( '' !== $changes['user_email'] ) {
				$this->emails[ strtolower( $changes['user_email'] ) ] = $id;
			}
		}
		if ( array_key_exists( 'externalId', $changes ) ) {
			unset( $this->external_ids[ $old['link'] ] );
			if ( null !== $changes['externalId'] ) {
				$this->external_ids[ $changes['externalId'] ] = $id;
			}
		}

		return array(
			'status'  => $status,
			'user_id' => $id,
		);
	}

	/**
	 * What an update would change, as attribute name → new value. Empty when nothing differs.
	 *
	 * @param WP_User              $user User.
	 * @param array<string, mixed> $data Normalized `user` object.
	 * @return array<string, mixed>
	 * @throws Operation_Error On uniqueness conflicts.
	 */
	private function diff( WP_User $user, array $data ): array {
		$id      = (int) $user->ID;
		$changes = array();

		$login = $user->user_login;
		if ( isset( $data['login'] ) ) {
			$key    = Connection::source_login_key( $this->connection );
			$stored = get_user_meta( $id, $key, false );
			$stored = $stored ? (string) $stored[0] : null;
			if ( $this->config['renameLogins'] ) {
				if ( $data['login'] !== $user->user_login ) {
					$owner = $this->logins[ strtolower( $data['login'] ) ] ?? null;
					if ( null !== $owner && $owner !== $id ) {
						/* translators: %s: login */
						throw new Operation_Error( 409, 'usersync_login_exists', sprintf( __( 'A user with the login "%s" already exists.', 'usersync' ), $data['login'] ), 'uniqueness' );
					}
					$login                 = $data['login'];
					$changes['user_login'] = $login;
				}
				if ( null !== $stored ) {
					$changes['source_login'] = null;
				}
			} else {
				// WordPress logins do not change after creation ("Usernames cannot be changed"):
				// the login the source asks for is remembered for it instead.
				$asked = $data['login'] === $user->user_login ? null : $data['login'];
				if ( $asked !== $stored ) {
					$changes['source_login'] = $asked;
				}
			}
		}

		if ( isset( $data['email'] ) && $data['email'] !== $user->user_email ) {
			$owner = '' === $data['email'] ? null : ( $this->emails[ strtolower( $data['email'] ) ] ?? null );
			if ( null !== $owner && $owner !== $id ) {
				/* translators: %s: email */
				throw new Operation_Error( 409, 'usersync_email_exists', sprintf( __( 'A user with the email "%s" already exists.', 'usersync' ), $data['email'] ), 'uniqueness' );
			}
			$changes['user_email'] = $data['email'];
		}

		foreach ( array(
			'firstName'   => 'first_name',
			'lastName'    => 'last_name',
			'nickname'    => 'nickname',
			'displayName' => 'display_name',
		) as $field => $wp_field ) {
			if ( ! isset( $data[ $field ] ) ) {
				continue;
			}
			$value = $data[ $field ];
			if ( '' === $value && in_array( $wp_field, array( 'nickname', 'display_name' ), true ) ) {
				$value = $login; // What WordPress stores for an empty nickname or display name.
			}
			if ( $value !== (string) $user->$wp_field ) {
				$changes[ $wp_field ] = $value;
			}
		}

		if ( isset( $data['url'] ) && $data['url'] !== (string) $user->user_url ) {
			$changes['user_url'] = $data['url'];
		}

		if ( isset( $data['description'] ) && $data['description'] !== (string) $user->description ) {
			$changes['description'] = $data['description'];
		}

		if ( isset( $data['avatarUrl'] ) && $data['avatarUrl'] !== (string) Avatar_Urls::get( $id ) ) {
			$changes['avatar'] = '' === $data['avatarUrl'] ? null : $data['avatarUrl'];
		}

		foreach ( $data['xprofile'] ?? array() as $name => $value ) {
			if ( (string) $value !== (string) Xprofile::get( $id, (string) $name ) ) {
				$changes[ Xprofile::TARGET_PREFIX . $name ] = $value;
			}
		}

		if ( isset( $data['password'] ) && ! wp_check_password( wp_slash( $data['password'] ), $user->user_pass, $id ) ) {
			$changes['user_pass'] = $data['password'];
		}

		// The connection's role update mode decides what the mapped roles do to existing ones.
		$roles = isset( $data['roles'] ) ? $this->roles->roles_to_write( Role_Mapper::effective_roles( $user ), $data['roles'], $this->connection ) : null;
		if ( null !== $roles && $roles !== Role_Mapper::effective_roles( $user ) ) {
			$changes['roles'] = $roles;
		}

		foreach ( $data['meta'] ?? array() as $key => $value ) {
			$key     = (string) $key;
			$current = get_user_meta( $id, $key, false );
			if ( null === $value ) {
				if ( $current ) {
					$changes[ 'meta:' . $key ] = null;
				}
			} elseif ( ! $current || ! User_Meta_Writer::same_meta( $current[0], $value ) ) {
				$changes[ 'meta:' . $key ] = $value;
			}
		}

		// A linked user keeps its external id unless the update names one ('' when linked
		// without one); an unlinked user (touchUnlinked) becomes linked by the update.
		$linked  = $this->is_linked( $id );
		$current = $linked ? (string) get_user_meta( $id, Connection::link_key( $this->connection ), true ) : null;
		$new     = array_key_exists( 'externalId', $data ) ? (string) $data['externalId'] : ( $current ?? '' );
		if ( $new !== $current ) {
			if ( '' !== $new && isset( $this->external_ids[ $new ] ) && $this->external_ids[ $new ] !== $id ) {
				throw new Operation_Error(
					409,
					'usersync_external_id_exists',
					/* translators: 1: external id, 2: connection */
					sprintf( __( 'The external id "%1$s" is already linked to another user in "%2$s".', 'usersync' ), $new, $this->connection ),
					'uniqueness'
				);
			}
			$changes['externalId'] = '' === $new ? null : $new;
		}

		if ( array_key_exists( 'scim', $data ) ) {
			$stored  = (string) get_user_meta( $id, Connection::scim_key( $this->connection ), true );
			$current = '' === $stored ? null : json_decode( $stored, true );
			if ( $current != $data['scim'] ) { // phpcs:ignore Universal.Operators.StrictComparisons -- key order of JSON objects does not matter.
				$changes['scim'] = $data['scim'];
			}
		}

		if ( isset( $data['active'] ) && Login_Guard::is_disabled( $id ) === $data['active'] ) {
			$changes['active'] = $data['active'];
		}

		return $changes;
	}

	/**
	 * Changes a login. wp_insert_user() never updates user_login of an existing user, so
	 * the column is written here (uniqueness was checked for the whole batch up front).
	 *
	 * @param int    $id    User id.
	 * @param string $login New login.
	 * @throws Operation_Error When the login is taken or the write fails.
	 */
	private function rename( int $id, string $login ): void {
		global $wpdb;
		$owner = username_exists( $login );
		if ( $owner && (int) $owner !== $id ) {
			/* translators: %s: login */
			throw new Operation_Error( 409, 'usersync_login_exists', sprintf( __( 'A user with the login "%s" already exists.', 'usersync' ), $login ), 'uniqueness' );
		}
		$before = get_userdata( $id );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		if ( false === $wpdb->update( $wpdb->users, array( 'user_login' => $login ), array( 'ID' => $id ), array( '%s' ), array( '%d' ) ) ) {
			throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not change the login.', 'usersync' ) );
		}
		if ( $before ) {
			clean_user_cache( $before );
		}
		Plugin::outbox()->record( $id, 'update', array( 'user_login' ) );
	}

	/**
	 * Runs one operation's writes in a transaction and audits the outcome.
	 *
	 * @param string   $action     Audit action.
	 * @param int|null $user_id    Target user (null on create).
	 * @param string   $login      Target login.
	 * @param string[] $fields     Attributes being written.
	 * @param callable $write      Does the writes; returns the outcome.
	 * @param callable $touched    Returns the ids of users the writes may have touched.
	 * @param string[] $locks      Unique values the operation claims (see Transaction::begin()).
	 * @return array{status: string, user_id: ?int}
	 * @throws Operation_Error On failure, after rolling back.
	 */
	private function transaction( string $action, ?int $user_id, string $login, array $fields, callable $write, callable $touched, array $locks = array() ): array {
		return $this->envelope->transaction(
			$action,
			$user_id,
			$login,
			$fields,
			$write,
			static fn(): array => array_merge( null === $user_id ? array() : array( $user_id ), $touched() ),
			$locks,
			function () use ( $user_id ): void {
				if ( null !== $user_id ) {
					$this->snapshots->forget( $user_id );
				}
			}
		);
	}

	/**
	 * Writes the audit row of an operation.
	 *
	 * @param string      $action  Action.
	 * @param int|null    $user_id User id.
	 * @param string      $login   Login.
	 * @param string[]    $fields  Attribute names.
	 * @param string      $result  success|failure|skipped.
	 * @param string|null $error   Error message.
	 */
	private function audit( string $action, ?int $user_id, string $login, array $fields, string $result, ?string $error ): void {
		$this->envelope->audit( $action, $user_id, $login, $fields, $result, $error );
	}

	/**
	 * Audit action of an operation that failed before its kind of write was known.
	 *
	 * @param string $action Operation action.
	 */
	private function audit_action( string $action ): string {
		$map = array(
			'update'      => 'update',
			'deprovision' => 'delete' === $this->config['deprovision']['action'] && $this->config['deprovision']['graceDays'] <= 0 ? 'delete' : 'disable',
			'delete'      => 'delete',
			'reactivate'  => 'enable',
		);
		return $map[ $action ] ?? $action;
	}

	/**
	 * Lock keys for the unique values an operation takes.
	 *
	 * @param string      $login       Login ('' = none).
	 * @param string      $email       Email ('' = none).
	 * @param string|null $external_id External id in this connection.
	 * @return string[]
	 */
	private function claims( string $login, string $email, ?string $external_id ): array {
		$keys = array();
		if ( '' !== $login ) {
			$keys[] = 'login:' . $login;
		}
		if ( '' !== $email ) {
			$keys[] = 'email:' . $email;
		}
		if ( null !== $external_id && '' !== $external_id ) {
			$keys[] = 'link:' . $this->connection . ':' . $external_id;
		}
		return $keys;
	}

	/**
	 * Audit action of an operation that did not pass validation.
	 *
	 * @param mixed $operation Raw operation.
	 */
	private function raw_audit_action( $operation ): string {
		$action = is_array( $operation ) && isset( $operation['action'] ) && is_string( $operation['action'] ) ? $operation['action'] : '';
		if ( 'create' === $action ) {
			return 'create';
		}
		return in_array( $action, self::ACTIONS, true ) ? $this->audit_action( $action ) : 'invalid';
	}

	/**
	 * Whether a user is linked to this connection.
	 *
	 * @param int $user_id User id.
	 */
	private function is_linked( int $user_id ): bool {
		return metadata_exists( 'user', $user_id, Connection::link_key( $this->connection ) );
	}
}
