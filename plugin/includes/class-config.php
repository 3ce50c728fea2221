<?php
/**
 * Sync configuration: attribute map, role map and deprovisioning policy.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Reads, validates and stores the option `usersync_config`. Every read returns a complete
 * configuration: missing parts take their defaults.
 */
class Config {

	public const OPTION = 'usersync_config';

	public const CORE_TARGETS = array( 'user_login', 'user_email', 'first_name', 'last_name', 'display_name', 'nickname', 'user_url', 'description', 'avatar' );
	public const DIRECTIONS   = array( 'inbound', 'outbound', 'both' );
	public const TRANSFORMS   = array( 'none', 'lowercase', 'uppercase', 'trim' );

	private const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:';

	/**
	 * JSON schema of the configuration (shared by the REST route and validate()).
	 *
	 * @return array<string, mixed>
	 */
	public static function schema(): array {
		return array(
			'$schema'              => 'http://json-schema.org/draft-04/schema#',
			'title'                => 'usersync-config',
			'type'                 => 'object',
			'additionalProperties' => false,
			'properties'           => array(
				'attributeMap' => array(
					'description' => __( 'How source attributes map to WordPress user fields.', 'usersync' ),
					'type'        => 'array',
					'context'     => array( 'view', 'edit' ),
					'maxItems'    => 200,
					'items'       => array(
						'type'                 => 'object',
						'additionalProperties' => false,
						'properties'           => array(
							'source'    => array(
								'type'      => 'string',
								'minLength' => 1,
								'maxLength' => 255,
								'required'  => true,
							),
							'target'    => array(
								'type'      => 'string',
								'minLength' => 1,
								'maxLength' => 200,
								'required'  => true,
							),
							'direction' => array(
								'type' => 'string',
								'enum' => self::DIRECTIONS,
							),
							'transform' => array(
								'type' => 'string',
								'enum' => self::TRANSFORMS,
							),
							'default'   => array(
								'type' => array( 'string', 'null' ),
							),
						),
					),
				),
				'roleMap'      => array(
					'description'          => __( 'Which WordPress roles members of source groups get.', 'usersync' ),
					'type'                 => 'object',
					'context'              => array( 'view', 'edit' ),
					'additionalProperties' => false,
					'properties'           => array(
						'rules'              => array(
							'type'     => 'array',
							'maxItems' => 500,
							'items'    => array(
								'type'                 => 'object',
								'additionalProperties' => false,
								'properties'           => array(
									'group'    => array(
										'type'      => 'string',
										'minLength' => 1,
										'maxLength' => 255,
										'required'  => true,
									),
									'role'     => array(
										'type'      => 'string',
										'minLength' => 1,
										'required'  => true,
									),
									'priority' => array(
										'type' => 'integer',
									),
								),
							),
						),
						'defaultRole'        => array( 'type' => 'string' ),
						'allowAdministrator' => array( 'type' => 'boolean' ),
					),
				),
				'deprovision'  => array(
					'description'          => __( 'What happens when a source removes or deactivates a user.', 'usersync' ),
					'type'                 => 'object',
					'context'              => array( 'view', 'edit' ),
					'additionalProperties' => false,
					'properties'           => array(
						'action'              => array(
							'type' => 'string',
							'enum' => array( 'disable', 'delete' ),
						),
						'reassignTo'          => array(
							'type'    => array( 'integer', 'null' ),
							'minimum' => 1,
						),
						'touchUnlinked'       => array( 'type' => 'boolean' ),
						'touchAdministrators' => array( 'type' => 'boolean' ),
					),
				),
			),
		);
	}

	/**
	 * The defaults used for whatever is not stored.
	 *
	 * @return array<string, mixed>
	 */
	public static function defaults(): array {
		$map = array(
			array( 'userName', 'user_login' ),
			array( 'emails[primary].value', 'user_email' ),
			array( 'name.givenName', 'first_name' ),
			array( 'name.familyName', 'last_name' ),
			array( 'displayName', 'display_name' ),
			array( 'nickName', 'nickname' ),
			array( 'profileUrl', 'user_url' ),
			array( 'title', 'meta:title' ),
			array( 'phoneNumbers[type eq "work"].value', 'meta:phone' ),
			array( self::ENTERPRISE . 'department', 'meta:department' ),
			array( self::ENTERPRISE . 'employeeNumber', 'meta:employee_number' ),
			array( self::ENTERPRISE . 'organization', 'meta:organization' ),
			array( 'photos[type eq "photo"].value', 'avatar' ),
		);
		return array(
			'attributeMap' => array_map(
				static fn( array $pair ): array => array(
					'source'    => $pair[0],
					'target'    => $pair[1],
					'direction' => 'avatar' === $pair[1] ? 'inbound' : 'both',
					'transform' => 'none',
					'default'   => null,
				),
				$map
			),
			'roleMap'      => array(
				'rules'              => array(),
				'defaultRole'        => 'subscriber',
				'allowAdministrator' => false,
			),
			'deprovision'  => array(
				'action'              => 'disable',
				'reassignTo'          => null,
				'touchUnlinked'       => false,
				'touchAdministrators' => false,
			),
		);
	}

	/**
	 * The complete configuration.
	 *
	 * @return array{attributeMap: array<int, array<string, mixed>>, roleMap: array<string, mixed>, deprovision: array<string, mixed>}
	 */
	public function get(): array {
		$stored = get_option( self::OPTION, array() );
		return self::normalize( is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Merges a partial configuration (per top-level key), validates and stores it.
	 *
	 * @param array<string, mixed> $partial Keys attributeMap, roleMap and/or deprovision.
	 * @return array<string, mixed>|WP_Error The stored configuration.
	 */
	public function update( array $partial ) {
		$valid = rest_validate_value_from_schema( $partial, self::schema(), 'config' );
		if ( is_wp_error( $valid ) ) {
			return new WP_Error( 'usersync_invalid_config', $valid->get_error_message(), array( 'status' => 400 ) );
		}

		// Only the parts an admin has set are stored: the others follow the defaults of the
		// installed version.
		$stored = get_option( self::OPTION, array() );
		$stored = array_merge( is_array( $stored ) ? $stored : array(), array_intersect_key( $partial, self::defaults() ) );
		$merged = self::normalize( $stored );

		$error = self::validate( $merged );
		if ( $error ) {
			return $error;
		}

		update_option( self::OPTION, array_intersect_key( $merged, $stored ), true );
		return $this->get();
	}

	/**
	 * Meta keys named by the attribute map's targets (`meta:<key>`).
	 *
	 * @return string[]
	 */
	public function mapped_meta_keys(): array {
		$keys = array();
		foreach ( $this->get()['attributeMap'] as $item ) {
			if ( 0 === strpos( $item['target'], 'meta:' ) ) {
				$keys[] = substr( $item['target'], 5 );
			}
		}
		return array_values( array_unique( $keys ) );
	}

	/**
	 * Fills defaults into every part of a configuration.
	 *
	 * @param array<string, mixed> $config Possibly partial configuration.
	 * @return array<string, mixed>
	 */
	private static function normalize( array $config ): array {
		$defaults = self::defaults();

		$attribute_map = isset( $config['attributeMap'] ) && is_array( $config['attributeMap'] ) ? $config['attributeMap'] : $defaults['attributeMap'];
		$attribute_map = array_values(
			array_map(
				static fn( $item ): array => array(
					'source'    => (string) ( $item['source'] ?? '' ),
					'target'    => (string) ( $item['target'] ?? '' ),
					'direction' => (string) ( $item['direction'] ?? 'both' ),
					'transform' => (string) ( $item['transform'] ?? 'none' ),
					'default'   => isset( $item['default'] ) ? (string) $item['default'] : null,
				),
				array_filter( $attribute_map, 'is_array' )
			)
		);

		$role_map = array_merge( $defaults['roleMap'], isset( $config['roleMap'] ) && is_array( $config['roleMap'] ) ? $config['roleMap'] : array() );
		$rules    = is_array( $role_map['rules'] ) ? array_filter( $role_map['rules'], 'is_array' ) : array();
		$role_map = array(
			'rules'              => array_values(
				array_map(
					static fn( array $rule ): array => array(
						'group'    => (string) ( $rule['group'] ?? '' ),
						'role'     => (string) ( $rule['role'] ?? '' ),
						'priority' => (int) ( $rule['priority'] ?? 10 ),
					),
					$rules
				)
			),
			'defaultRole'        => (string) $role_map['defaultRole'],
			'allowAdministrator' => (bool) $role_map['allowAdministrator'],
		);

		$deprovision = array_merge( $defaults['deprovision'], isset( $config['deprovision'] ) && is_array( $config['deprovision'] ) ? $config['deprovision'] : array() );
		$deprovision = array(
			'action'              => 'delete' === $deprovision['action'] ? 'delete' : 'disable',
			'reassignTo'          => empty( $deprovision['reassignTo'] ) ? null : (int) $deprovision['reassignTo'],
			'touchUnlinked'       => (bool) $deprovision['touchUnlinked'],
			'touchAdministrators' => (bool) $deprovision['touchAdministrators'],
		);

		return array(
			'attributeMap' => $attribute_map,
			'roleMap'      => $role_map,
			'deprovision'  => $deprovision,
		);
	}

	/**
	 * Checks what the schema cannot: roles exist, administrator only when allowed, targets
	 * are known fields or unprotected meta keys, the reassign user exists.
	 *
	 * @param array<string, mixed> $config Normalized configuration.
	 */
	private static function validate( array $config ): ?WP_Error {
		foreach ( $config['attributeMap'] as $index => $item ) {
			$target = $item['target'];
			if ( 0 === strpos( $target, 'meta:' ) ) {
				$key = substr( $target, 5 );
				if ( ! Protected_Meta::is_valid_key( $key ) || Protected_Meta::is_protected( $key ) ) {
					return new WP_Error(
						'usersync_invalid_attribute_map',
						/* translators: 1: attribute map row number, 2: meta key */
						sprintf( __( 'Attribute map row %1$d: the meta key "%2$s" cannot be written by a sync.', 'usersync' ), $index + 1, $key ),
						array( 'status' => 400 )
					);
				}
			} elseif ( ! in_array( $target, self::CORE_TARGETS, true ) ) {
				return new WP_Error(
					'usersync_invalid_attribute_map',
					/* translators: 1: attribute map row number, 2: target */
					sprintf( __( 'Attribute map row %1$d: unknown target "%2$s". Use a user field, "avatar" or "meta:<key>".', 'usersync' ), $index + 1, $target ),
					array( 'status' => 400 )
				);
			}
		}

		$role_map = $config['roleMap'];
		$roles    = array( $role_map['defaultRole'] );
		foreach ( $role_map['rules'] as $rule ) {
			$roles[] = $rule['role'];
		}
		foreach ( $roles as $role ) {
			if ( ! wp_roles()->is_role( $role ) ) {
				return new WP_Error(
					'usersync_invalid_role_map',
					/* translators: %s: role name */
					sprintf( __( 'The role "%s" does not exist.', 'usersync' ), $role ),
					array( 'status' => 400 )
				);
			}
			if ( 'administrator' === $role && ! $role_map['allowAdministrator'] ) {
				return new WP_Error(
					'usersync_invalid_role_map',
					__( 'The role map grants administrator, but allowAdministrator is off.', 'usersync' ),
					array( 'status' => 400 )
				);
			}
		}

		$reassign = $config['deprovision']['reassignTo'];
		if ( null !== $reassign && ! get_userdata( $reassign ) ) {
			return new WP_Error(
				'usersync_invalid_deprovision',
				/* translators: %d: user id */
				sprintf( __( 'deprovision.reassignTo: there is no user with id %d.', 'usersync' ), $reassign ),
				array( 'status' => 400 )
			);
		}

		return null;
	}
}
