<?php
/**
 * One operation of `users/batch`: its shape, and its values in the form WordPress stores.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * The operation seam of the user writer: the JSON schema the route checks, then, per
 * operation, the validation that needs WordPress (allowed logins, valid emails, existing
 * and grantable roles, profile fields) and the values as WordPress would store them, so
 * that comparing them with what is stored tells real changes apart. Does no writes.
 */
final class User_Operation {

	public const ACTIONS = array( 'create', 'update', 'deprovision', 'reactivate', 'delete' );

	private const OPERATION_KEYS = array( 'ref', 'action', 'id', 'ifMatch', 'user', 'purge' );
	private const USER_KEYS      = array( 'login', 'email', 'firstName', 'lastName', 'displayName', 'nickname', 'url', 'description', 'avatarUrl', 'password', 'roles', 'meta', 'xprofile', 'externalId', 'scim', 'active' );

	/** Longest biographical info accepted (the user meta `description`). */
	private const MAX_DESCRIPTION = 65535;

	/**
	 * Request fields → WordPress user fields / profile meta.
	 */
	public const CORE = array(
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
	public static function schema(): array {
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
				// With "delete": the connection's own removal policy deletes the user, whatever
				// the site's deprovisioning action (its reassign rule and protections apply).
				'purge'   => array( 'type' => 'boolean' ),
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
	public static function problem( array $operation ): ?string {
		if ( 'create' === $operation['action'] ) {
			return isset( $operation['user']['login'] ) ? null : __( 'A create needs user.login.', 'usersync' );
		}
		/* translators: %s: action */
		return isset( $operation['id'] ) ? null : sprintf( __( 'An operation "%s" needs the id of the user.', 'usersync' ), $operation['action'] );
	}

	/**
	 * Validates one operation and brings its values to the form WordPress stores.
	 *
	 * @param mixed       $operation Raw operation.
	 * @param string      $ref       Its ref.
	 * @param Role_Mapper $roles     Role map (which roles a sync may grant).
	 * @return array<string, mixed>
	 * @throws Operation_Error On invalid input.
	 */
	public static function normalize( $operation, string $ref, Role_Mapper $roles ): array {
		$header   = Batch_Envelope::header( $operation, self::OPERATION_KEYS, self::ACTIONS, __( 'id must be the positive integer id of a WordPress user.', 'usersync' ) );
		$action   = $header['action'];
		$id       = $header['id'];
		$if_match = $header['ifMatch'];

		$user = array();
		if ( in_array( $action, array( 'create', 'update' ), true ) ) {
			$raw = $operation['user'] ?? null;
			if ( 'update' === $action && null === $raw ) {
				$raw = array();
			}
			if ( ! Json::is_object( $raw ) ) {
				throw Operation_Error::invalid( 'usersync_invalid_user', __( 'user must be a JSON object.', 'usersync' ) );
			}
			$user = self::normalize_user( $raw, 'create' === $action, $roles );
		}

		return array(
			'ref'     => $ref,
			'action'  => $action,
			'id'      => $id,
			'ifMatch' => $if_match,
			'user'    => $user,
			'purge'   => 'delete' === $action && true === ( $operation['purge'] ?? false ),
		);
	}

	/**
	 * Validates the `user` object.
	 *
	 * @param array<string, mixed> $raw    Raw user.
	 * @param bool                 $create Whether the operation creates the user.
	 * @param Role_Mapper          $roles  Role map (which roles a sync may grant).
	 * @return array<string, mixed> Present fields only, normalized.
	 * @throws Operation_Error On invalid input.
	 */
	private static function normalize_user( array $raw, bool $create, Role_Mapper $roles ): array {
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
				if ( ! $roles->is_allowed( $role ) ) {
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
	 * Attribute names of a `user` object, in the outbox vocabulary, for the audit log.
	 *
	 * @param array<string, mixed> $data Normalized user.
	 * @return string[]
	 */
	public static function field_names( array $data ): array {
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
	public static function stored_email( string $email ): string {
		return self::stored_field( 'email', $email );
	}

	/**
	 * The login an invalid operation names, if any.
	 *
	 * @param mixed $operation Raw operation.
	 */
	public static function raw_login( $operation ): string {
		$login = is_array( $operation ) && isset( $operation['user'] ) && is_array( $operation['user'] ) ? ( $operation['user']['login'] ?? '' ) : '';
		return is_string( $login ) ? $login : '';
	}
}
