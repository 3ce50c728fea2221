<?php
/**
 * Applies a batch of user operations from one connection.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Session_Tokens;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The write path every connector and SCIM go through. Each operation runs in its own
 * transaction: it is applied entirely or not at all, and a failing operation never stops
 * the others. Whatever can be checked before writing is checked in bulk up front (existing
 * logins, emails and external ids of the whole batch in one query each; target users and
 * their meta primed in two), and an operation that changes nothing writes nothing.
 */
class User_Writer {

	public const ACTIONS = array( 'create', 'update', 'deprovision', 'reactivate', 'delete' );

	private const OPERATION_KEYS = array( 'ref', 'action', 'id', 'ifMatch', 'user' );
	private const USER_KEYS      = array( 'login', 'email', 'firstName', 'lastName', 'displayName', 'nickname', 'url', 'description', 'avatarUrl', 'password', 'roles', 'meta', 'xprofile', 'externalId', 'scim', 'active' );

	/** Audit field of a rename that names the login before it: `previous_login:<login>`. */
	public const PREVIOUS_LOGIN_FIELD = 'previous_login:';

	/** Longest biographical info accepted (the user meta `description`). */
	private const MAX_DESCRIPTION = 65535;

	/**
	 * Request fields → WordPress user fields / profile meta.
	 */
	private const CORE = array(
		'login'       => 'user_login',
		'email'       => 'user_email',
		'firstName'   => 'first_name',
		'lastName'    => 'last_name',
		'displayName' => 'display_name',
		'nickname'    => 'nickname',
		'url'         => 'user_url',
		'description' => 'description',
	);

	/**
	 * JSON schema of one operation of `users/batch`: the shape the route checks before any
	 * write (rest_validate_value_from_schema()), so a malformed batch is refused whole. The
	 * values' meaning (allowed logins, existing roles, taken emails) is checked per operation.
	 *
	 * @return array<string, mixed>
	 */
	public static function operation_schema(): array {
		$text = array( 'type' => array( 'string', 'null' ) );
		return array(
			'type'                 => 'object',
			'additionalProperties' => false,
			'required'             => array( 'action' ),
			'properties'           => array(
				'ref'     => array( 'type' => array( 'string', 'integer' ) ),
				'action'  => array(
					'type' => 'string',
					'enum' => self::ACTIONS,
				),
				'id'      => array(
					'type'    => 'integer',
					'minimum' => 1,
				),
				'ifMatch' => array( 'type' => array( 'string', 'null' ) ),
				'user'    => array(
					'type'                 => array( 'object', 'null' ),
					'additionalProperties' => false,
					'properties'           => array(
						'login'       => array( 'type' => 'string' ),
						'email'       => $text,
						'firstName'   => $text,
						'lastName'    => $text,
						'displayName' => $text,
						'nickname'    => $text,
						'url'         => $text,
						'description' => $text,
						'avatarUrl'   => $text,
						'password'    => array( 'type' => 'string' ),
						'roles'       => array(
							'type'  => 'array',
							'items' => array( 'type' => 'string' ),
						),
						'meta'        => array( 'type' => array( 'object', 'null' ) ),
						'xprofile'    => array(
							'type'                 => array( 'object', 'null' ),
							'additionalProperties' => array( 'type' => array( 'string', 'null' ) ),
						),
						'externalId'  => $text,
						'scim'        => array( 'type' => array( 'object', 'null' ) ),
						'active'      => array( 'type' => 'boolean' ),
					),
				),
			),
		);
	}

	/**
	 * What an operation that has the schema's shape still lacks for its action, or null.
	 *
	 * @param array<string, mixed> $operation Operation.
	 */
	public static function operation_problem( array $operation ): ?string {
		if ( 'create' === $operation['action'] ) {
			return isset( $operation['user']['login'] ) ? null : __( 'A create needs user.login.', 'usersync' );
		}
		/* translators: %s: action */
		return isset( $operation['id'] ) ? null : sprintf( __( 'An operation "%s" needs the id of the user.', 'usersync' ), $operation['action'] );
	}

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
	 * The user wp_insert_user() is creating right now, while it writes its first meta (see
	 * insert_fresh_meta()), or 0.
	 *
	 * @var int
	 */
	private int $fresh_user = 0;

	/**
	 * Meta keys written to the fresh user so far.
	 *
	 * @var array<string, true>
	 */
	private array $fresh_keys = array();

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
			$ref = is_array( $operation ) && isset( $operation['ref'] ) && ( is_string( $operation['ref'] ) || is_int( $operation['ref'] ) )
				? (string) $operation['ref']
				: (string) $index;
			try {
				try {
					$op = $this->normalize( $operation, $ref );
				} catch ( Operation_Error $invalid ) {
					$this->audit( $this->raw_audit_action( $operation ), null, self::raw_login( $operation ), array(), 'failure', $invalid->getMessage() );
					throw $invalid;
				}
				$outcome = $this->apply_atomically( $op );
				$result  = array(
					'ref'    => $ref,
					'ok'     => true,
					'status' => $outcome['status'],
					'user'   => null,
				);
				if ( null !== $outcome['user_id'] ) {
					$this->snapshots->forget( $outcome['user_id'] );
					if ( ( $id_counts[ (string) $outcome['user_id'] ] ?? 0 ) > 1 ) {
						$result['user'] = $this->snapshots->build_many( array( $outcome['user_id'] ) )[ $outcome['user_id'] ] ?? null;
					} else {
						$deferred[ $index ] = $outcome['user_id'];
					}
				}
			} catch ( Operation_Error $error ) {
				$result = array(
					'ref'   => $ref,
					'ok'    => false,
					'error' => $error->to_array(),
				);
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
				$email = self::stored_email( $user['email'] );
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
	 * Validates one operation and brings its values to the form WordPress stores.
	 *
	 * @param mixed  $operation Raw operation.
	 * @param string $ref       Its ref.
	 * @return array<string, mixed>
	 * @throws Operation_Error On invalid input.
	 */
	private function normalize( $operation, string $ref ): array {
		if ( ! Json::is_object( $operation ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_operation', __( 'Each operation must be a JSON object.', 'usersync' ) );
		}
		$unknown = array_diff( array_keys( $operation ), self::OPERATION_KEYS );
		if ( $unknown ) {
			/* translators: %s: field names */
			throw Operation_Error::invalid( 'usersync_invalid_operation', sprintf( __( 'Unknown operation field(s): %s.', 'usersync' ), implode( ', ', $unknown ) ) );
		}

		$action = $operation['action'] ?? null;
		if ( ! is_string( $action ) || ! in_array( $action, self::ACTIONS, true ) ) {
			/* translators: %s: allowed actions */
			throw Operation_Error::invalid( 'usersync_invalid_action', sprintf( __( 'action must be one of: %s.', 'usersync' ), implode( ', ', self::ACTIONS ) ) );
		}

		$id = null;
		if ( 'create' !== $action ) {
			$id = $operation['id'] ?? null;
			if ( is_string( $id ) && ctype_digit( $id ) ) {
				$id = (int) $id;
			}
			if ( ! is_int( $id ) || $id <= 0 ) {
				throw Operation_Error::invalid( 'usersync_invalid_id', __( 'id must be the positive integer id of a WordPress user.', 'usersync' ) );
			}
		}

		$if_match = $operation['ifMatch'] ?? null;
		if ( null !== $if_match && ! is_string( $if_match ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_operation', __( 'ifMatch must be a string.', 'usersync' ) );
		}

		$user = array();
		if ( in_array( $action, array( 'create', 'update' ), true ) ) {
			$raw = $operation['user'] ?? null;
			if ( 'update' === $action && null === $raw ) {
				$raw = array();
			}
			if ( ! Json::is_object( $raw ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_user', __( 'user must be a JSON object.', 'usersync' ) );
			}
			$user = $this->normalize_user( $raw, 'create' === $action );
		}

		return array(
			'ref'     => $ref,
			'action'  => $action,
			'id'      => $id,
			'ifMatch' => $if_match,
			'user'    => $user,
		);
	}

	/**
	 * Validates the `user` object.
	 *
	 * @param array<string, mixed> $raw    Raw user.
	 * @param bool                 $create Whether the operation creates the user.
	 * @return array<string, mixed> Present fields only, normalized.
	 * @throws Operation_Error On invalid input.
	 */
	private function normalize_user( array $raw, bool $create ): array {
		$unknown = array_diff( array_keys( $raw ), self::USER_KEYS );
		if ( $unknown ) {
			/* translators: %s: field names */
			throw Operation_Error::invalid( 'usersync_invalid_user', sprintf( __( 'Unknown user field(s): %s.', 'usersync' ), implode( ', ', $unknown ) ) );
		}

		$user = array();
		foreach ( array( 'login', 'email', 'firstName', 'lastName', 'displayName', 'nickname', 'url', 'description' ) as $field ) {
			if ( ! array_key_exists( $field, $raw ) ) {
				continue;
			}
			$value = $raw[ $field ];
			if ( null === $value && ! in_array( $field, array( 'login' ), true ) ) {
				$value = '';
			}
			if ( ! is_string( $value ) ) {
				/* translators: %s: field name */
				throw Operation_Error::invalid( 'usersync_invalid_user', sprintf( __( '%s must be a string.', 'usersync' ), $field ) );
			}
			$user[ $field ] = $value;
		}

		if ( $create && ( ! isset( $user['login'] ) || '' === $user['login'] ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_login', __( 'A new user needs a login.', 'usersync' ) );
		}
		if ( isset( $user['login'] ) ) {
			$login = $user['login'];
			$clean = trim( (string) apply_filters( 'pre_user_login', sanitize_user( $login, true ) ) );
			if ( '' === $login || $clean !== $login ) {
				/* translators: %s: login */
				throw Operation_Error::invalid( 'usersync_invalid_login', sprintf( __( 'The login "%s" is not allowed: use letters, digits, spaces and _ . - @ only.', 'usersync' ), $login ) );
			}
			if ( mb_strlen( $login ) > 60 ) {
				throw Operation_Error::invalid( 'usersync_invalid_login', __( 'The login may not be longer than 60 characters.', 'usersync' ) );
			}
			$illegal = array_map( 'strtolower', (array) apply_filters( 'illegal_user_logins', array() ) );
			if ( in_array( strtolower( $login ), $illegal, true ) ) {
				/* translators: %s: login */
				throw Operation_Error::invalid( 'usersync_invalid_login', sprintf( __( 'The login "%s" is not allowed on this site.', 'usersync' ), $login ) );
			}
		}
		if ( isset( $user['email'] ) ) {
			$email = self::stored_email( $user['email'] );
			if ( '' !== trim( $user['email'] ) && ( '' === $email || ! is_email( $email ) ) ) {
				/* translators: %s: email */
				throw Operation_Error::invalid( 'usersync_invalid_email', sprintf( __( '"%s" is not a valid email address.', 'usersync' ), $user['email'] ) );
			}
			if ( mb_strlen( $email ) > 100 ) {
				throw Operation_Error::invalid( 'usersync_invalid_email', __( 'The email address may not be longer than 100 characters.', 'usersync' ) );
			}
			$user['email'] = $email;
		}
		if ( isset( $user['url'] ) ) {
			$user['url'] = self::stored_field( 'url', $user['url'] );
			if ( mb_strlen( $user['url'] ) > 100 ) {
				throw Operation_Error::invalid( 'usersync_invalid_url', __( 'The URL may not be longer than 100 characters.', 'usersync' ) );
			}
		}
		foreach ( array(
			'firstName'   => 'first_name',
			'lastName'    => 'last_name',
			'nickname'    => 'nickname',
			'displayName' => 'display_name',
		) as $field => $wp_field ) {
			if ( isset( $user[ $field ] ) ) {
				$user[ $field ] = self::stored_field( $wp_field, $user[ $field ] );
			}
		}
		if ( isset( $user['displayName'] ) && mb_strlen( $user['displayName'] ) > 250 ) {
			throw Operation_Error::invalid( 'usersync_invalid_user', __( 'displayName may not be longer than 250 characters.', 'usersync' ) );
		}
		if ( isset( $user['description'] ) ) {
			if ( mb_strlen( $user['description'] ) > self::MAX_DESCRIPTION ) {
				/* translators: %d: number of characters */
				throw Operation_Error::invalid( 'usersync_invalid_user', sprintf( __( 'description may not be longer than %d characters.', 'usersync' ), self::MAX_DESCRIPTION ) );
			}
			$user['description'] = self::stored_field( 'description', $user['description'] );
		}

		if ( array_key_exists( 'avatarUrl', $raw ) ) {
			$url = $raw['avatarUrl'] ?? '';
			$url = is_string( $url ) ? Avatar_Urls::normalize( $url ) : null;
			if ( null === $url ) {
				/* translators: %d: number of characters */
				throw Operation_Error::invalid( 'usersync_invalid_avatar_url', sprintf( __( 'avatarUrl must be an http or https URL of at most %d characters, or null.', 'usersync' ), Avatar_Urls::MAX_LENGTH ) );
			}
			$user['avatarUrl'] = $url;
		}

		if ( array_key_exists( 'xprofile', $raw ) ) {
			$user['xprofile'] = self::normalize_xprofile( $raw['xprofile'] );
		}

		if ( array_key_exists( 'password', $raw ) ) {
			if ( ! is_string( $raw['password'] ) || '' === $raw['password'] ) {
				throw Operation_Error::invalid( 'usersync_invalid_password', __( 'password must be a non-empty string.', 'usersync' ) );
			}
			$user['password'] = $raw['password'];
		}

		if ( array_key_exists( 'roles', $raw ) ) {
			if ( ! is_array( $raw['roles'] ) || ! Json::is_list( $raw['roles'] ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_role', __( 'roles must be an array of role names.', 'usersync' ) );
			}
			foreach ( $raw['roles'] as $role ) {
				if ( ! is_string( $role ) || ! wp_roles()->is_role( $role ) ) {
					/* translators: %s: role */
					throw Operation_Error::invalid( 'usersync_invalid_role', sprintf( __( 'The role "%s" does not exist.', 'usersync' ), is_string( $role ) ? $role : wp_json_encode( $role ) ) );
				}
				if ( ! $this->roles->is_allowed( $role ) ) {
					/* translators: %s: role */
					throw Operation_Error::invalid( 'usersync_invalid_role', sprintf( __( 'A sync may not grant the role "%s": it is privileged, and the role map does not allow administrators.', 'usersync' ), $role ) );
				}
			}
			$user['roles'] = array_values( array_unique( $raw['roles'] ) );
		}

		if ( array_key_exists( 'meta', $raw ) ) {
			$meta = $raw['meta'];
			if ( null === $meta ) {
				$meta = array();
			}
			if ( ! Json::is_object( $meta ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_meta', __( 'meta must be a JSON object of key → value.', 'usersync' ) );
			}
			foreach ( $meta as $key => $value ) {
				$key = (string) $key;
				if ( ! Protected_Meta::is_valid_key( $key ) ) {
					/* translators: %s: meta key */
					throw Operation_Error::invalid( 'usersync_invalid_meta_key', sprintf( __( 'The meta key "%s" is not valid.', 'usersync' ), $key ) );
				}
				if ( Protected_Meta::is_protected( $key ) ) {
					/* translators: %s: meta key */
					throw Operation_Error::invalid( 'usersync_invalid_meta_key', sprintf( __( 'The meta key "%s" cannot be written by a sync.', 'usersync' ), $key ) );
				}
			}
			$user['meta'] = $meta;
		}

		if ( array_key_exists( 'externalId', $raw ) ) {
			$external_id = $raw['externalId'];
			if ( null !== $external_id && ( ! is_string( $external_id ) || mb_strlen( $external_id ) > 255 ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_external_id', __( 'externalId must be a string of at most 255 characters, or null.', 'usersync' ) );
			}
			$user['externalId'] = '' === $external_id ? null : $external_id;
		}

		if ( array_key_exists( 'scim', $raw ) ) {
			$scim = $raw['scim'];
			if ( null !== $scim && ! Json::is_object( $scim ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_scim', __( 'scim must be a JSON object or null.', 'usersync' ) );
			}
			if ( is_array( $scim ) ) {
				unset( $scim['password'] );
			}
			$user['scim'] = $scim;
		}

		if ( array_key_exists( 'active', $raw ) ) {
			if ( ! is_bool( $raw['active'] ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_user', __( 'active must be true or false.', 'usersync' ) );
			}
			$user['active'] = $raw['active'];
		}

		return $user;
	}

	/**
	 * Validates the `xprofile` object: field name → text, or null to clear the field.
	 *
	 * @param mixed $raw Raw value.
	 * @return array<string, ?string>
	 * @throws Operation_Error Without BuddyPress, for unknown fields and for invalid values.
	 */
	private static function normalize_xprofile( $raw ): array {
		if ( null === $raw ) {
			return array();
		}
		if ( ! Json::is_object( $raw ) ) {
			throw Operation_Error::invalid( 'usersync_invalid_xprofile', __( 'xprofile must be a JSON object of profile field name → value.', 'usersync' ) );
		}
		if ( ! $raw ) {
			return array();
		}
		if ( ! Xprofile::is_available() ) {
			throw Operation_Error::invalid( 'usersync_xprofile_unavailable', Xprofile::unavailable_message() );
		}
		$fields = array();
		foreach ( $raw as $name => $value ) {
			$name = (string) $name;
			if ( ! Xprofile::field_id( $name ) ) {
				throw Xprofile::unknown_field( $name );
			}
			if ( null !== $value && ! is_string( $value ) ) {
				/* translators: %s: field name */
				throw Operation_Error::invalid( 'usersync_invalid_xprofile', sprintf( __( 'The value of the profile field "%s" must be a string or null.', 'usersync' ), $name ) );
			}
			$fields[ $name ] = null === $value ? null : Xprofile::normalize( $value );
		}
		return $fields;
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
	 * Meta key of the record a connection keeps on an account it unlinked (SCIM DELETE under
	 * the "disable" policy): the external id it had ('' for none).
	 *
	 * @param string $connection Connection slug.
	 */
	private static function unlinked_key( string $connection ): string {
		return 'usersync_unlinked_' . $connection;
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
		$record  = metadata_exists( 'user', $id, self::unlinked_key( $this->connection ) );
		if ( ! $created && ! $record ) {
			return false;
		}
		$was = $record ? (string) get_user_meta( $id, self::unlinked_key( $this->connection ), true ) : '';
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
	 * Writes one user meta value (null deletes it) and fails when WordPress did not store
	 * it: update_user_meta() answers false both for "already so" and for a refused write,
	 * so a false is judged by reading the value back.
	 *
	 * @param int    $user_id User id.
	 * @param string $key     Meta key.
	 * @param mixed  $value   Value (unslashed), or null to delete.
	 * @throws Operation_Error When the value is not what was written.
	 */
	private static function write_meta( int $user_id, string $key, $value ): void {
		if ( null === $value ) {
			if ( false !== delete_user_meta( $user_id, $key ) || ! metadata_exists( 'user', $user_id, $key ) ) {
				return;
			}
		} else {
			if ( false !== update_user_meta( $user_id, $key, wp_slash( $value ) ) ) {
				return;
			}
			wp_cache_delete( $user_id, 'user_meta' );
			$stored = get_user_meta( $user_id, $key, false );
			if ( 1 === count( $stored ) && ( $stored[0] === $value || ( is_scalar( $value ) && (string) $stored[0] === (string) $value ) ) ) {
				return;
			}
		}
		/* translators: %s: meta key */
		throw new Operation_Error( 500, 'usersync_write_failed', sprintf( __( 'WordPress could not store the user field "%s"; nothing was written.', 'usersync' ), $key ) );
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
				return $this->deprovision( $op['action'], $user );
			default:
				return $this->reactivate( $user );
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
		$fields = self::field_names( $data );
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
				foreach ( self::CORE as $field => $wp_field ) {
					if ( isset( $data[ $field ] ) && ! isset( $userdata[ $wp_field ] ) ) {
						$userdata[ $wp_field ] = $data[ $field ];
					}
				}
				add_filter( 'insert_custom_user_meta', array( $this, 'on_insert_custom_user_meta' ), PHP_INT_MAX, 3 );
				add_filter( 'update_user_metadata', array( $this, 'insert_fresh_meta' ), PHP_INT_MAX, 5 );
				add_action( 'clean_user_cache', array( $this, 'end_fresh_meta' ), PHP_INT_MIN, 0 );
				try {
					$id = wp_insert_user( wp_slash( $userdata ) );
				} finally {
					remove_filter( 'insert_custom_user_meta', array( $this, 'on_insert_custom_user_meta' ), PHP_INT_MAX );
					remove_filter( 'update_user_metadata', array( $this, 'insert_fresh_meta' ), PHP_INT_MAX );
					remove_action( 'clean_user_cache', array( $this, 'end_fresh_meta' ), PHP_INT_MIN );
					$this->end_fresh_meta();
				}
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
					$private[ Connection::scim_key( $this->connection ) ] = self::json( $data['scim'] );
				}
				if ( isset( $data['avatarUrl'] ) && '' !== $data['avatarUrl'] ) {
					$private[ Avatar_Urls::META ] = $data['avatarUrl'];
				}
				self::add_private_meta( $created, $private );
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
					$this->disable( get_userdata( $created ) );
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
			$this->audit( 'update', $id, $user->user_login, self::field_names( $data ), 'failure', $error->getMessage() );
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
				return $this->delete_user( $user );
			}
			$this->check_deletable( $user, 'disable' );
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
					self::write_meta( $id, Connection::source_login_key( $this->connection ), $changes['source_login'] );
				}
				$core = array_intersect_key( $changes, array_flip( array( 'user_email', 'first_name', 'last_name', 'display_name', 'nickname', 'user_url', 'description', 'user_pass' ) ) );
				if ( $core ) {
					$result = wp_update_user( wp_slash( array( 'ID' => $id ) + $core ) );
					if ( is_wp_error( $result ) ) {
						throw Operation_Error::from_wp_error( $result );
					}
				}
				if ( true === $toggled ) {
					$this->restore( get_userdata( $id ) );
				}
				if ( isset( $changes['roles'] ) ) {
					Role_Mapper::apply( get_userdata( $id ), $changes['roles'] );
				}
				foreach ( $changes as $name => $value ) {
					if ( 0 !== strpos( $name, 'meta:' ) ) {
						continue;
					}
					self::write_meta( $id, substr( $name, 5 ), $value );
				}
				if ( array_key_exists( 'avatar', $changes ) ) {
					self::write_meta( $id, Avatar_Urls::META, $changes['avatar'] );
				}
				foreach ( $changes as $name => $value ) {
					if ( 0 === strpos( $name, Xprofile::TARGET_PREFIX ) ) {
						Xprofile::set( $id, substr( $name, strlen( Xprofile::TARGET_PREFIX ) ), $value );
					}
				}
				if ( array_key_exists( 'externalId', $changes ) ) {
					self::write_meta( $id, Connection::link_key( $this->connection ), $changes['externalId'] ?? '' );
					self::write_meta( $id, self::unlinked_key( $this->connection ), null );
				}
				if ( array_key_exists( 'scim', $changes ) ) {
					self::write_meta( $id, Connection::scim_key( $this->connection ), null === $changes['scim'] ? null : self::json( $changes['scim'] ) );
				}
				if ( false === $toggled ) {
					$this->disable( get_userdata( $id ) );
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

		if ( isset( $data['roles'] ) && $data['roles'] !== Role_Mapper::effective_roles( $user ) ) {
			$changes['roles'] = $data['roles'];
		}

		foreach ( $data['meta'] ?? array() as $key => $value ) {
			$key     = (string) $key;
			$current = get_user_meta( $id, $key, false );
			if ( null === $value ) {
				if ( $current ) {
					$changes[ 'meta:' . $key ] = null;
				}
			} elseif ( ! $current || ! self::same_meta( $current[0], $value ) ) {
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
	 * A deprovision or delete operation, as the policy says: under "disable" the user is
	 * disabled (and a deleted one unlinked); under "delete" it is deleted at once, or, with a
	 * grace period, disabled the same way now and deleted by the daily job once due (see
	 * Deprovision_Grace).
	 *
	 * @param string  $action 'deprovision' (gone from the source for now: stays linked, so its
	 *                        source can enable it again) or 'delete' (the resource is gone).
	 * @param WP_User $user   User.
	 * @return array{status: string, user_id: ?int}
	 * @throws Operation_Error When the user may not be deleted or the write fails.
	 */
	private function deprovision( string $action, WP_User $user ): array {
		$policy = $this->config['deprovision'];
		$due    = null;
		if ( 'delete' === $policy['action'] ) {
			if ( $policy['graceDays'] <= 0 ) {
				return $this->delete_user( $user );
			}
			// Refused now rather than at the deadline: the job would refuse it then.
			$this->check_deletable( $user, 'disable' );
			$due = Deprovision_Grace::deadline( $policy['graceDays'] );
		}
		return 'delete' === $action ? $this->unlink_and_disable( $user, $due ) : $this->disable_only( $user, $due );
	}

	/**
	 * Deprovision under the "disable" policy (and the grace period of the "delete" policy).
	 *
	 * @param WP_User  $user User.
	 * @param int|null $due  Deadline of the deletion to schedule, if any.
	 * @return array{status: string, user_id: int}
	 */
	private function disable_only( WP_User $user, ?int $due = null ): array {
		$id       = (int) $user->ID;
		$disabled = Login_Guard::is_disabled( $id );
		// A deletion already pending keeps its deadline.
		$schedule = null !== $due && null === Deprovision_Grace::due( $id );
		if ( $disabled && ! $schedule ) {
			$this->audit( 'disable', $id, $user->user_login, array(), 'skipped', null );
			return array(
				'status'  => 'unchanged',
				'user_id' => $id,
			);
		}
		$fields = $disabled ? array() : array( 'active', 'roles' );
		if ( $schedule ) {
			$fields[] = Deprovision_Grace::scheduled_field( $due );
		}
		return $this->transaction(
			'disable',
			$id,
			$user->user_login,
			$fields,
			function () use ( $user, $id, $disabled, $schedule, $due ): array {
				if ( ! $disabled ) {
					$this->disable( $user );
				}
				if ( $schedule ) {
					Deprovision_Grace::schedule_user( $id, $due, $this->connection, $this->source, $this->run_id );
				}
				return array(
					'status'  => 'disabled',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
	}

	/**
	 * Delete under the "disable" policy (and the grace period of the "delete" policy): the user
	 * stays, disabled, but is no longer linked to this connection (the resource is gone for it).
	 *
	 * @param WP_User  $user User.
	 * @param int|null $due  Deadline of the deletion to schedule, if any.
	 * @return array{status: string, user_id: int}
	 */
	private function unlink_and_disable( WP_User $user, ?int $due = null ): array {
		$id       = (int) $user->ID;
		$link     = (string) get_user_meta( $id, Connection::link_key( $this->connection ), true );
		$schedule = null !== $due && null === Deprovision_Grace::due( $id );
		$fields   = array( 'link' );
		if ( ! Login_Guard::is_disabled( $id ) ) {
			$fields = array( 'active', 'roles', 'link' );
		}
		if ( $schedule ) {
			$fields[] = Deprovision_Grace::scheduled_field( $due );
		}
		$result = $this->transaction(
			'disable',
			$id,
			$user->user_login,
			$fields,
			function () use ( $user, $id, $schedule, $due, $link ): array {
				if ( ! Login_Guard::is_disabled( $id ) ) {
					$this->disable( $user );
				}
				// Remembered, so that the connection may provision the person into it again.
				self::write_meta( $id, self::unlinked_key( $this->connection ), $link );
				self::write_meta( $id, Connection::link_key( $this->connection ), null );
				self::write_meta( $id, Connection::scim_key( $this->connection ), null );
				self::write_meta( $id, Connection::source_login_key( $this->connection ), null );
				Plugin::groups()->remove_user_from_connection( $id, $this->connection );
				if ( $schedule ) {
					Deprovision_Grace::schedule_user( $id, $due, $this->connection, $this->source, $this->run_id );
				}
				return array(
					'status'  => 'deleted',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
		unset( $this->external_ids[ $link ] );
		return $result;
	}

	/**
	 * Deletes a user, reassigning their content as the policy says.
	 *
	 * @param WP_User $user User.
	 * @return array{status: string, user_id: null}
	 * @throws Operation_Error When the reassign user is unusable or deletion fails.
	 */
	private function delete_user( WP_User $user ): array {
		$id       = (int) $user->ID;
		$reassign = $this->config['deprovision']['reassignTo'];
		$this->check_deletable( $user, 'delete' );
		$login = strtolower( $user->user_login );
		$email = strtolower( $user->user_email );
		$link  = (string) get_user_meta( $id, Connection::link_key( $this->connection ), true );

		$result = $this->transaction(
			'delete',
			$id,
			$user->user_login,
			array(),
			static function () use ( $id, $reassign ): array {
				if ( ! wp_delete_user( $id, $reassign ) ) {
					throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not delete the user.', 'usersync' ) );
				}
				return array(
					'status'  => 'deleted',
					'user_id' => null,
				);
			},
			static fn(): array => array( $id )
		);
		unset( $this->logins[ $login ], $this->emails[ $email ], $this->external_ids[ $link ] );
		return $result;
	}

	/**
	 * Refuses, audited, to delete a user the policy may not delete (see
	 * Deprovision_Grace::reassign_problem()).
	 *
	 * @param WP_User $user   User.
	 * @param string  $action Audit action of the refusal.
	 * @throws Operation_Error When the user may not be deleted.
	 */
	private function check_deletable( WP_User $user, string $action ): void {
		$message = Deprovision_Grace::reassign_problem( $this->config['deprovision'], (int) $user->ID );
		if ( null !== $message ) {
			$this->audit( $action, (int) $user->ID, $user->user_login, array(), 'failure', $message );
			throw new Operation_Error( 409, 'usersync_invalid_reassign', $message );
		}
	}

	/**
	 * Reactivates a disabled user.
	 *
	 * @param WP_User $user User.
	 * @return array{status: string, user_id: int}
	 */
	private function reactivate( WP_User $user ): array {
		$id = (int) $user->ID;
		if ( ! Login_Guard::is_disabled( $id ) ) {
			$this->audit( 'enable', $id, $user->user_login, array(), 'skipped', null );
			return array(
				'status'  => 'unchanged',
				'user_id' => $id,
			);
		}
		return $this->transaction(
			'enable',
			$id,
			$user->user_login,
			array( 'active', 'roles' ),
			function () use ( $user, $id ): array {
				$this->restore( $user );
				return array(
					'status'  => 'reactivated',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
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
	 * Disables a user: remembers and removes the roles, ends every session, marks disabled.
	 *
	 * @param WP_User $user User.
	 */
	private function disable( WP_User $user ): void {
		self::write_meta( (int) $user->ID, 'usersync_disabled_roles', array_values( $user->roles ) );
		$user->set_role( '' );
		WP_Session_Tokens::get_instance( $user->ID )->destroy_all();
		self::write_meta( (int) $user->ID, 'usersync_disabled', '1' );
	}

	/**
	 * Reactivates a user with the roles remembered at disable time (or the default role). A
	 * user enabled again by a source is provisioned again: a pending deletion is cancelled.
	 *
	 * @param WP_User $user User.
	 */
	private function restore( WP_User $user ): void {
		if ( Deprovision_Grace::cancel( (int) $user->ID ) ) {
			$this->audit( 'update', (int) $user->ID, $user->user_login, array( Deprovision_Grace::CANCELLED_FIELD ), 'success', null );
		}
		$roles = Role_Mapper::effective_roles( $user );
		if ( ! $roles ) {
			$roles = $this->roles->default_roles();
		}
		self::write_meta( (int) $user->ID, 'usersync_disabled', null );
		self::write_meta( (int) $user->ID, 'usersync_disabled_roles', null );
		Role_Mapper::apply( get_userdata( $user->ID ), $roles );
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
		$transaction = new Transaction();
		try {
			$transaction->begin( $locks );
		} catch ( Operation_Error $error ) {
			$this->audit( $action, $user_id, $login, $fields, 'failure', $error->getMessage() );
			throw $error;
		}
		try {
			$outcome = $write();
			$this->audit( $action, $outcome['user_id'] ?? $user_id, $login, $fields, 'success', null );
			$transaction->commit();
			return $outcome;
		} catch ( \Throwable $throwable ) {
			$transaction->rollback( array_merge( null === $user_id ? array() : array( $user_id ), $touched() ) );
			if ( null !== $user_id ) {
				$this->snapshots->forget( $user_id );
			}
			$error = $throwable instanceof Operation_Error
				? $throwable
				: new Operation_Error( 500, 'usersync_internal_error', __( 'The operation failed unexpectedly; nothing was written.', 'usersync' ) );
			if ( ! $throwable instanceof Operation_Error ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions.error_log_error_log
				error_log( 'UserSync: batch operation failed: ' . $throwable );
			}
			$this->audit( $action, $user_id, $login, $fields, 'failure', $error->getMessage() );
			throw $error;
		}
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
		Plugin::audit_log()->write(
			array(
				'actor'      => 'sidecar',
				'source'     => $this->source,
				'action'     => $action,
				'user_id'    => $user_id,
				'user_login' => $login,
				'fields'     => $fields,
				'result'     => $result,
				'error'      => $error,
				'run_id'     => $this->run_id,
				'connection' => $this->connection,
			)
		);
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
	 * The login an invalid operation names, if any.
	 *
	 * @param mixed $operation Raw operation.
	 */
	private static function raw_login( $operation ): string {
		$login = is_array( $operation ) && isset( $operation['user'] ) && is_array( $operation['user'] ) ? ( $operation['user']['login'] ?? '' ) : '';
		return is_string( $login ) ? $login : '';
	}

	/**
	 * Whether a user is linked to this connection.
	 *
	 * @param int $user_id User id.
	 */
	private function is_linked( int $user_id ): bool {
		return metadata_exists( 'user', $user_id, Connection::link_key( $this->connection ) );
	}

	/**
	 * Attribute names of a `user` object, in the outbox vocabulary, for the audit log.
	 *
	 * @param array<string, mixed> $data Normalized user.
	 * @return string[]
	 */
	private static function field_names( array $data ): array {
		$names = array();
		foreach ( $data as $field => $value ) {
			if ( isset( self::CORE[ $field ] ) ) {
				$names[] = self::CORE[ $field ];
			} elseif ( 'meta' === $field ) {
				foreach ( array_keys( $value ) as $key ) {
					$names[] = 'meta:' . $key;
				}
			} elseif ( 'xprofile' === $field ) {
				foreach ( array_keys( $value ) as $name ) {
					$names[] = Xprofile::TARGET_PREFIX . $name;
				}
			} elseif ( 'avatarUrl' === $field ) {
				$names[] = 'avatar';
			} else {
				$names[] = $field;
			}
		}
		return $names;
	}

	/**
	 * What WordPress would store for a profile field (its pre_user_* filters run on slashed
	 * input), so that comparing with the stored value tells real changes apart.
	 *
	 * @param string $field WordPress field: first_name, last_name, nickname, display_name, url.
	 * @param string $value Input.
	 */
	private static function stored_field( string $field, string $value ): string {
		return (string) wp_unslash( apply_filters( "pre_user_{$field}", wp_slash( $value ) ) );
	}

	/**
	 * What WordPress would store for an email address.
	 *
	 * @param string $email Input.
	 */
	private static function stored_email( string $email ): string {
		return self::stored_field( 'email', $email );
	}

	/**
	 * Whether a stored meta value equals an input value (WordPress stores scalars as strings).
	 *
	 * @param mixed $stored Stored value.
	 * @param mixed $input  Input value.
	 */
	private static function same_meta( $stored, $input ): bool {
		if ( is_scalar( $input ) && is_scalar( $stored ) ) {
			if ( is_bool( $input ) ) {
				$input = $input ? '1' : '';
			}
			return (string) $stored === (string) $input;
		}
		return $stored == $input; // phpcs:ignore Universal.Operators.StrictComparisons -- arrays from JSON vs unserialized arrays.
	}

	/**
	 * `insert_custom_user_meta`, the last step before wp_insert_user() writes a new user's
	 * profile meta: from here until its cache is cleaned, the user is known to have no meta.
	 *
	 * @param array<string, mixed> $custom_meta Custom meta (returned unchanged).
	 * @param \WP_User             $user        The user being saved.
	 * @param bool                 $update      Whether it is an update.
	 * @return array<string, mixed>
	 */
	public function on_insert_custom_user_meta( $custom_meta, $user, $update ) {
		if ( ! $update && $user instanceof WP_User && $user->ID > 0 ) {
			$this->fresh_user = (int) $user->ID;
			$this->fresh_keys = array();
		}
		return $custom_meta;
	}

	/**
	 * `update_user_metadata` for the user being created: update_user_meta() on a key the user
	 * cannot have yet is an add_user_meta() (exactly what core falls back to), without first
	 * reloading the user's meta and looking for an existing row. Saves two queries per key.
	 *
	 * @param mixed  $check      Result so far (null to go on).
	 * @param int    $object_id  User id.
	 * @param string $meta_key   Key (unslashed).
	 * @param mixed  $meta_value Value (unslashed, sanitized).
	 * @param mixed  $prev_value Previous value to match.
	 * @return mixed
	 */
	public function insert_fresh_meta( $check, $object_id, $meta_key, $meta_value, $prev_value ) {
		global $wpdb;
		if ( null !== $check || 0 === $this->fresh_user || (int) $object_id !== $this->fresh_user
			|| ! empty( $prev_value ) || isset( $this->fresh_keys[ $meta_key ] ) ) {
			return $check;
		}
		$this->fresh_keys[ $meta_key ] = true;

		// add_metadata(), less its lookup of the user's object subtype (update_metadata() did
		// that already) and with the meta cache kept instead of emptied.
		$added = apply_filters( 'add_user_metadata', null, $this->fresh_user, $meta_key, $meta_value, false );
		if ( null !== $added ) {
			return $added;
		}
		do_action( 'add_user_meta', $this->fresh_user, $meta_key, $meta_value );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.SlowDBQuery
		$inserted = $wpdb->insert(
			$wpdb->usermeta,
			array(
				'user_id'    => $this->fresh_user,
				'meta_key'   => $meta_key, // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_key
				'meta_value' => maybe_serialize( $meta_value ), // phpcs:ignore WordPress.DB.SlowDBQuery.slow_db_query_meta_value
			)
		);
		if ( ! $inserted ) {
			return false;
		}
		$meta_id = (int) $wpdb->insert_id;
		// Keep the cached meta in step with the new row instead of dropping it: the next key's
		// update_user_meta() loads the user again, which would otherwise re-read all of it.
		$cached = wp_cache_get( $this->fresh_user, 'user_meta' );
		if ( is_array( $cached ) ) {
			$cached[ $meta_key ][] = maybe_serialize( $meta_value );
			wp_cache_set( $this->fresh_user, $cached, 'user_meta' );
		} else {
			wp_cache_delete( $this->fresh_user, 'user_meta' );
		}
		do_action( 'added_user_meta', $meta_id, $this->fresh_user, $meta_key, $meta_value );
		return $meta_id;
	}

	/**
	 * `clean_user_cache`: the new user's first meta are written.
	 */
	public function end_fresh_meta(): void {
		$this->fresh_user = 0;
		$this->fresh_keys = array();
	}

	/**
	 * Adds UserSync's own meta to a user just created, in one query. These keys are private
	 * to UserSync (no other code hooks their writes), so the per-key add_user_meta() calls
	 * and their cache flushes are not needed.
	 *
	 * @param int                   $user_id User id.
	 * @param array<string, string> $meta    Key → value.
	 * @throws Operation_Error When the insert fails.
	 */
	private static function add_private_meta( int $user_id, array $meta ): void {
		global $wpdb;
		$rows = array();
		foreach ( $meta as $key => $value ) {
			$rows[] = $wpdb->prepare( '(%d, %s, %s)', $user_id, $key, $value );
		}
		// phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery
		if ( false === $wpdb->query( "INSERT INTO {$wpdb->usermeta} (user_id, meta_key, meta_value) VALUES " . implode( ', ', $rows ) ) ) {
			throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not store the identity link.', 'usersync' ) );
		}
		wp_cache_delete( $user_id, 'user_meta' );
	}

	/**
	 * JSON of an object (an empty one stays an object).
	 *
	 * @param array<string, mixed> $value Value.
	 */
	private static function json( array $value ): string {
		return $value ? (string) wp_json_encode( $value ) : '{}';
	}
}
