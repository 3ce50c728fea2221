<?php
/**
 * Sync configuration: attribute map, role map, deprovisioning policy and audit retention.
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
	public const TRANSFORMS   = array( 'none', 'lowercase', 'uppercase', 'trim', 'template' );

	/** Longest template a row may carry. */
	public const MAX_TEMPLATE_LENGTH = 500;

	public const MAX_GRACE_DAYS     = 365;
	public const MAX_RETENTION_DAYS = 3650;

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
				'peers'        => Peers::schema(),
				'siteTimeZone' => array(
					'description' => __( 'The site\'s time zone (Settings → General): an IANA name such as Europe/Berlin, or an offset such as +02:00. Schedules follow it.', 'usersync' ),
					'type'        => 'string',
					'readonly'    => true,
					'context'     => array( 'view', 'edit' ),
				),
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
								'description' => __( 'Source attribute path, e.g. name.givenName (empty on template rows: the template names its attributes).', 'usersync' ),
								'type'        => 'string',
								'maxLength'   => 255,
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
							'template'  => array(
								'description' => __( 'With the transform "template": the value built from source attributes in braces, e.g. {name.givenName}.{name.familyName}.', 'usersync' ),
								'type'        => array( 'string', 'null' ),
								'maxLength'   => self::MAX_TEMPLATE_LENGTH,
							),
						),
					),
				),
				'renameLogins' => array(
					'description' => __( 'Keep WordPress logins in step with the source: when a source changes the value that feeds user_login, the existing user is renamed. Off (the default), a login never changes after the user was created; the source\'s new value is remembered, so the source reads back what it sent.', 'usersync' ),
					'type'        => 'boolean',
					'context'     => array( 'view', 'edit' ),
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
									'priority'    => array(
										'type' => 'integer',
									),
									'connections' => array(
										'description' => __( 'Connections whose groups the rule applies to; ["*"] for any connection.', 'usersync' ),
										'type'        => 'array',
										'minItems'    => 1,
										'maxItems'    => 100,
										'uniqueItems' => true,
										'items'       => array(
											'type'    => 'string',
											'pattern' => '^(\\*|[a-z0-9-]{1,64})$',
										),
									),
								),
							),
						),
						'defaultRole'        => array( 'type' => 'string' ),
						'allowAdministrator' => array( 'type' => 'boolean' ),
						'updateModes'        => array(
							'description'          => __( 'Per connection, what a sync does to the roles of users it already has: replace the roles the role map manages (replace, the default), only add roles (add), or leave roles alone (keep). New users always get the mapped roles.', 'usersync' ),
							'type'                 => 'object',
							'maxProperties'        => 200,
							'additionalProperties' => array(
								'type' => 'string',
								'enum' => Role_Mapper::UPDATE_MODES,
							),
						),
					),
				),
				'deprovision'  => array(
					'description'          => __( 'What happens when a source removes or deactivates a user.', 'usersync' ),
					'type'                 => 'object',
					'context'              => array( 'view', 'edit' ),
					'additionalProperties' => false,
					'properties'           => array(
						'action'              => array(
							'description' => __( 'When a source removes a user (SCIM DELETE, deleted in the directory): disable or delete.', 'usersync' ),
							'type'        => 'string',
							'enum'        => array( 'disable', 'delete' ),
						),
						'deactivate'          => array(
							'description' => __( 'When a source deactivates a user (SCIM active false, accountEnabled false): disable or delete, with the same grace period and heir as removals.', 'usersync' ),
							'type'        => 'string',
							'enum'        => array( 'disable', 'delete' ),
						),
						'reassignTo'          => array(
							'type'    => array( 'integer', 'null' ),
							'minimum' => 1,
						),
						'touchUnlinked'       => array( 'type' => 'boolean' ),
						'touchAdministrators' => array( 'type' => 'boolean' ),
						'graceDays'           => array(
							'description' => __( 'Days a deprovisioned user stays disabled before the delete policy deletes it (0: at once).', 'usersync' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => self::MAX_GRACE_DAYS,
						),
					),
				),
				'audit'        => array(
					'description'          => __( 'How long the audit log keeps its entries.', 'usersync' ),
					'type'                 => 'object',
					'context'              => array( 'view', 'edit' ),
					'additionalProperties' => false,
					'properties'           => array(
						'retentionDays' => array(
							'description' => __( 'Entries older than this many days are deleted every day (0: keep them forever).', 'usersync' ),
							'type'        => 'integer',
							'minimum'     => 0,
							'maximum'     => self::MAX_RETENTION_DAYS,
						),
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
			'renameLogins' => false,
			'roleMap'      => array(
				'rules'              => array(),
				'defaultRole'        => 'subscriber',
				'allowAdministrator' => false,
				'updateModes'        => array(),
			),
			'deprovision'  => array(
				'action'              => 'disable',
				'deactivate'          => 'disable',
				'reassignTo'          => null,
				'touchUnlinked'       => false,
				'touchAdministrators' => false,
				'graceDays'           => 0,
			),
			'audit'        => array(
				'retentionDays' => 90,
			),
		);
	}

	/**
	 * The complete configuration.
	 *
	 * @return array{attributeMap: array<int, array<string, mixed>>, renameLogins: bool, roleMap: array<string, mixed>, deprovision: array<string, mixed>, audit: array{retentionDays: int}}
	 */
	public function get(): array {
		$stored = get_option( self::OPTION, array() );
		return self::normalize( is_array( $stored ) ? $stored : array() );
	}

	/**
	 * Merges a partial configuration (per top-level key), validates and stores it.
	 *
	 * @param array<string, mixed> $partial Keys attributeMap, roleMap, deprovision and/or audit.
	 * @return array<string, mixed>|WP_Error The stored configuration.
	 */
	public function update( array $partial ) {
		$previous = $this->get();
		$merged   = $this->candidate( $partial );
		if ( is_wp_error( $merged ) ) {
			return $merged;
		}
		$stored = get_option( self::OPTION, array() );
		$stored = array_merge( is_array( $stored ) ? $stored : array(), array_intersect_key( $partial, self::defaults() ) );

		// Peers live in their own option, tokens encrypted; checked before anything is stored.
		$peers = null;
		if ( array_key_exists( 'peers', $partial ) ) {
			$peers = ( new Peers() )->prepare( $partial['peers'] );
			if ( is_wp_error( $peers ) ) {
				return $peers;
			}
		}

		update_option( self::OPTION, array_intersect_key( $merged, $stored ), true );
		if ( null !== $peers ) {
			( new Peers() )->save( $peers );
		}
		$saved = $this->get_for_route();
		if ( array_key_exists( 'roleMap', $partial ) ) {
			// Rules reach the people already in their groups, not only those who join later.
			$saved['rolesUpdated'] = Role_Mapper::reevaluate( $previous, $saved );
		}
		return $saved;
	}

	/**
	 * The configuration a partial one would make, validated, without storing anything.
	 *
	 * @param array<string, mixed> $partial Keys attributeMap, roleMap, deprovision and/or audit.
	 * @return array<string, mixed>|WP_Error
	 */
	public function candidate( array $partial ) {
		$valid = rest_validate_value_from_schema( $partial, self::schema(), 'config' );
		if ( is_wp_error( $valid ) ) {
			return self::schema_error( $valid );
		}

		// Only the parts an admin has set are stored: the others follow the defaults of the
		// installed version.
		$stored = get_option( self::OPTION, array() );
		$stored = array_merge( is_array( $stored ) ? $stored : array(), array_intersect_key( $partial, self::defaults() ) );
		$merged = self::normalize( $stored );

		// Only the parts being changed are checked: a role deleted since the role map was saved
		// must not block saving the audit retention.
		$error = self::validate( $merged, array_keys( array_intersect_key( $partial, self::defaults() ) ) );
		return $error ? $error : $merged;
	}

	/**
	 * The configuration as the config route shows it: with the peers, their tokens hidden.
	 *
	 * @return array<string, mixed>
	 */
	public function get_for_route(): array {
		return $this->get() + array(
			'peers'        => ( new Peers() )->public_list(),
			// Schedules tick in the site's time zone on every sidecar replica.
			'siteTimeZone' => wp_timezone_string(),
		);
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
				static function ( array $item ): array {
					$row = array(
						'source'    => (string) ( $item['source'] ?? '' ),
						'target'    => (string) ( $item['target'] ?? '' ),
						'direction' => (string) ( $item['direction'] ?? 'both' ),
						'transform' => (string) ( $item['transform'] ?? 'none' ),
						'default'   => isset( $item['default'] ) ? (string) $item['default'] : null,
					);
					// Only rows that carry a template show the key, so other rows read as before.
					if ( isset( $item['template'] ) ) {
						$row['template'] = (string) $item['template'];
					}
					return $row;
				},
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
						'priority'    => (int) ( $rule['priority'] ?? 10 ),
						// Rules stored before rules were scoped applied to every connection.
						'connections' => isset( $rule['connections'] ) && is_array( $rule['connections'] ) && $rule['connections']
							? array_values( array_unique( array_map( 'strval', $rule['connections'] ) ) )
							: array( Role_Mapper::ANY_CONNECTION ),
					),
					$rules
				)
			),
			'defaultRole'        => (string) $role_map['defaultRole'],
			'allowAdministrator' => (bool) $role_map['allowAdministrator'],
			// Only the modes that differ from the default are kept: "replace" is today's way.
			'updateModes'        => array_filter(
				is_array( $role_map['updateModes'] ) ? array_map( 'strval', $role_map['updateModes'] ) : array(),
				static fn( string $mode, $slug ): bool => Role_Mapper::UPDATE_REPLACE !== $mode && is_string( $slug ),
				ARRAY_FILTER_USE_BOTH
			),
		);

		$deprovision = array_merge( $defaults['deprovision'], isset( $config['deprovision'] ) && is_array( $config['deprovision'] ) ? $config['deprovision'] : array() );
		$deprovision = array(
			'action'              => 'delete' === $deprovision['action'] ? 'delete' : 'disable',
			'deactivate'          => 'delete' === $deprovision['deactivate'] ? 'delete' : 'disable',
			'reassignTo'          => empty( $deprovision['reassignTo'] ) ? null : (int) $deprovision['reassignTo'],
			'touchUnlinked'       => (bool) $deprovision['touchUnlinked'],
			'touchAdministrators' => (bool) $deprovision['touchAdministrators'],
			'graceDays'           => max( 0, (int) $deprovision['graceDays'] ),
		);

		$audit = array_merge( $defaults['audit'], isset( $config['audit'] ) && is_array( $config['audit'] ) ? $config['audit'] : array() );
		$audit = array(
			'retentionDays' => max( 0, (int) $audit['retentionDays'] ),
		);

		return array(
			'attributeMap' => $attribute_map,
			'renameLogins' => isset( $config['renameLogins'] ) && rest_sanitize_boolean( $config['renameLogins'] ),
			'roleMap'      => $role_map,
			'deprovision'  => $deprovision,
			'audit'        => $audit,
		);
	}

	/**
	 * A schema violation as an error the settings page can show next to the field: the
	 * offending path (`config[attributeMap][2][transform]`) becomes the `params` key
	 * `attributeMap[2][transform]`.
	 *
	 * @param WP_Error $error Error of rest_validate_value_from_schema().
	 */
	private static function schema_error( WP_Error $error ): WP_Error {
		$message = $error->get_error_message();
		$params  = array();
		if ( 1 === preg_match( '/^config\[([A-Za-z]+)\]((?:\[[A-Za-z0-9_]+\])*)/', $message, $match ) ) {
			$field            = $match[1] . $match[2];
			$message          = preg_replace( '/^config\[[A-Za-z]+\]/', $match[1], $message );
			$params[ $field ] = $message;
		}
		return new WP_Error( 'usersync_invalid_config', $message, array( 'status' => 400, 'params' => $params ) );
	}

	/**
	 * Why a row's template cannot be used, or null when it can.
	 *
	 * A template is literal text with placeholders: `{name.givenName}.{name.familyName}`,
	 * `{userName}@example.org`. Each placeholder is a source attribute path, written as in the
	 * source column. Braces only delimit placeholders (a login, an email or a name has no use
	 * for literal braces), so every `{` is closed by a `}` before the next `{`. A template
	 * without placeholders would be a constant, which is what the default value is for.
	 *
	 * The sidecar fills a template (and the settings page previews it) only when every
	 * placeholder has a value that is not blank; otherwise the row gives nothing and its
	 * default applies, so a missing family name never makes a login like "john.".
	 *
	 * @param string $template Template.
	 */
	public static function template_problem( string $template ): ?string {
		if ( '' === trim( $template ) ) {
			return __( 'Enter the template, e.g. {name.givenName}.{name.familyName}.', 'usersync' );
		}
		$placeholders = array();
		$open         = null;
		$length       = strlen( $template );
		for ( $i = 0; $i < $length; $i++ ) {
			$char = $template[ $i ];
			if ( '{' === $char ) {
				if ( null !== $open ) {
					/* translators: %d: character position in the template (1 for the first) */
					return sprintf( __( 'the { at character %d is not closed by a } before the next {. Braces only surround attribute names.', 'usersync' ), self::character_position( $template, $open ) );
				}
				$open = $i;
			} elseif ( '}' === $char ) {
				if ( null === $open ) {
					/* translators: %d: character position in the template (1 for the first) */
					return sprintf( __( 'the } at character %d has no { before it. Braces only surround attribute names.', 'usersync' ), self::character_position( $template, $i ) );
				}
				$placeholders[] = trim( substr( $template, $open + 1, $i - $open - 1 ) );
				$open           = null;
			}
		}
		if ( null !== $open ) {
			/* translators: %d: character position in the template (1 for the first) */
			return sprintf( __( 'the { at character %d is not closed by a }.', 'usersync' ), self::character_position( $template, $open ) );
		}
		if ( ! $placeholders ) {
			return __( 'the template names no attribute. Put source attributes in braces, e.g. {userName}@example.org; for a fixed value use the default value instead.', 'usersync' );
		}
		foreach ( $placeholders as $path ) {
			if ( '' === $path ) {
				return __( 'the template has an empty placeholder {}. Put a source attribute between the braces.', 'usersync' );
			}
			$problem = Source_Attributes::problem( $path );
			if ( null !== $problem ) {
				/* translators: 1: placeholder as written, 2: what is wrong with its attribute */
				return sprintf( __( 'in the placeholder {%1$s}: %2$s', 'usersync' ), $path, $problem );
			}
		}
		return null;
	}

	/**
	 * 1-based character position of a byte offset (templates may hold any UTF-8 text).
	 *
	 * @param string $text   Text.
	 * @param int    $offset Byte offset.
	 */
	private static function character_position( string $text, int $offset ): int {
		return mb_strlen( substr( $text, 0, $offset ), 'UTF-8' ) + 1;
	}

	/**
	 * Why a WordPress target (`user_email`, `meta:<key>`, `xprofile:<Field>`, …) cannot be
	 * written by a sync, or null when it can: an unknown field, a meta key that is invalid or
	 * protected (roles, capabilities, sessions, other plugins' private keys), a BuddyPress
	 * profile field that does not exist. Every field map of the site (the attribute map, a
	 * Salesforce object map) checks its WordPress side with this.
	 *
	 * @param string $target Target as written in the map.
	 * @return array{0: string, 1: string}|null Error code and message.
	 */
	public static function target_problem( string $target ): ?array {
		if ( 0 === strpos( $target, 'meta:' ) ) {
			$key = substr( $target, 5 );
			if ( ! Protected_Meta::is_valid_key( $key ) || Protected_Meta::is_protected( $key ) ) {
				/* translators: %s: meta key */
				return array( 'usersync_invalid_attribute_map', sprintf( __( 'the meta key "%s" cannot be written by a sync.', 'usersync' ), $key ) );
			}
			return null;
		}
		if ( 0 === strpos( $target, Xprofile::TARGET_PREFIX ) ) {
			$profile_field = Xprofile::field_of_target( $target );
			if ( ! Xprofile::is_available() ) {
				/* translators: 1: target, 2: why it cannot be written */
				return array( 'usersync_xprofile_unavailable', sprintf( __( '"%1$s" is a BuddyPress profile field. %2$s', 'usersync' ), $target, Xprofile::unavailable_message() ) );
			}
			if ( null === $profile_field || ! Xprofile::field_id( $profile_field ) ) {
				/* translators: %s: field name */
				return array( 'usersync_invalid_attribute_map', sprintf( __( 'there is no BuddyPress profile field named "%s".', 'usersync' ), (string) $profile_field ) );
			}
			return null;
		}
		if ( ! in_array( $target, self::CORE_TARGETS, true ) ) {
			/* translators: %s: target */
			return array( 'usersync_invalid_attribute_map', sprintf( __( 'unknown target "%s". Use a user field, "avatar", "meta:<key>" or, with BuddyPress, "xprofile:<Field Name>".', 'usersync' ), $target ) );
		}
		return null;
	}

	/**
	 * Checks what the schema cannot: targets are known fields or writable meta keys and each
	 * is written by one row, `user_login` is mapped exactly once, sources are readable
	 * attributes, templates are well formed and only on inbound rows other than the avatar,
	 * roles exist, administrator only when allowed, the reassign user exists.
	 *
	 * Every problem is reported in `params`, keyed by the field's path (`attributeMap[3][target]`,
	 * `roleMap[rules][0][role]`, `deprovision[reassignTo]`), so the settings page can show each
	 * next to its field; the message and code are those of the first problem.
	 *
	 * @param array<string, mixed> $config Normalized configuration.
	 * @param string[]             $parts  Top-level keys to check.
	 */
	private static function validate( array $config, array $parts ): ?WP_Error {
		$problems = array();
		$add      = static function ( string $code, string $field, string $message ) use ( &$problems ): void {
			if ( ! isset( $problems[ $field ] ) ) {
				$problems[ $field ] = array( $code, $message );
			}
		};

		$inbound_targets  = array();
		$outbound_sources = array();
		$logins           = array();
		$attribute_map = in_array( 'attributeMap', $parts, true ) ? $config['attributeMap'] : array();
		foreach ( $attribute_map as $index => $item ) {
			$row    = $index + 1;
			$field  = 'attributeMap[' . $index . ']';
			$target = $item['target'];
			$target_problem = self::target_problem( $target );
			if ( null !== $target_problem ) {
				/* translators: 1: attribute map row number, 2: what is wrong with the target */
				$add( $target_problem[0], $field . '[target]', sprintf( __( 'Attribute map row %1$d: %2$s', 'usersync' ), $row, $target_problem[1] ) );
			}

			if ( 'template' === $item['transform'] ) {
				$template_problem = self::template_problem( $item['template'] ?? '' );
				if ( null !== $template_problem ) {
					/* translators: 1: attribute map row number, 2: what is wrong with the template */
					$add( 'usersync_invalid_attribute_map', $field . '[template]', sprintf( __( 'Attribute map row %1$d: %2$s', 'usersync' ), $row, $template_problem ) );
				}
				if ( '' !== trim( $item['source'] ) ) {
					/* translators: %d: attribute map row number */
					$add( 'usersync_invalid_attribute_map', $field . '[source]', sprintf( __( 'Attribute map row %d: a template row reads the attributes its template names; leave the source attribute empty.', 'usersync' ), $row ) );
				}
				if ( 'inbound' !== $item['direction'] ) {
					/* translators: %d: attribute map row number */
					$add( 'usersync_invalid_attribute_map', $field . '[direction]', sprintf( __( 'Attribute map row %d: a value built from a template cannot be split back into source attributes. Set the direction to inbound (into WordPress).', 'usersync' ), $row ) );
				}
				if ( 'avatar' === $target ) {
					/* translators: %d: attribute map row number */
					$add( 'usersync_invalid_attribute_map', $field . '[transform]', sprintf( __( 'Attribute map row %d: profile pictures come from the source\'s photo; a template cannot build one.', 'usersync' ), $row ) );
				}
			} else {
				if ( isset( $item['template'] ) ) {
					/* translators: %d: attribute map row number */
					$add( 'usersync_invalid_attribute_map', $field . '[template]', sprintf( __( 'Attribute map row %d: a template is only used with the transform "template". Remove it or choose that transform.', 'usersync' ), $row ) );
				}
				$source_problem = Source_Attributes::problem( $item['source'] );
				if ( null !== $source_problem ) {
					/* translators: 1: attribute map row number, 2: what is wrong with the source attribute */
					$add( 'usersync_invalid_attribute_map', $field . '[source]', sprintf( __( 'Attribute map row %1$d: %2$s', 'usersync' ), $row, $source_problem ) );
				}
			}

			// Two rows writing one WordPress field (or one source attribute) would fight.
			if ( 'outbound' !== $item['direction'] ) {
				$key = strtolower( $target );
				if ( isset( $inbound_targets[ $key ] ) ) {
					/* translators: 1: attribute map row number, 2: target, 3: the other row's number */
					$add( 'usersync_invalid_attribute_map', $field . '[target]', sprintf( __( 'Attribute map row %1$d: "%2$s" is already filled by row %3$d. Map each WordPress field once.', 'usersync' ), $row, $target, $inbound_targets[ $key ] ) );
				} else {
					$inbound_targets[ $key ] = $row;
				}
			}
			if ( 'inbound' !== $item['direction'] ) {
				$key = strtolower( trim( $item['source'] ) );
				if ( isset( $outbound_sources[ $key ] ) ) {
					/* translators: 1: attribute map row number, 2: source attribute, 3: the other row's number */
					$add( 'usersync_invalid_attribute_map', $field . '[source]', sprintf( __( 'Attribute map row %1$d: "%2$s" is already written back by row %3$d. Send each source attribute from one WordPress field.', 'usersync' ), $row, $item['source'], $outbound_sources[ $key ] ) );
				} else {
					$outbound_sources[ $key ] = $row;
				}
			}
			if ( 'user_login' === $target && 'outbound' !== $item['direction'] ) {
				$logins[] = $index;
			}
		}
		if ( in_array( 'attributeMap', $parts, true ) && ! $logins ) {
			$add( 'usersync_invalid_attribute_map', 'attributeMap', __( 'Map one source attribute to user_login, inbound (usually userName): every WordPress user needs a login.', 'usersync' ) );
		}

		$role_map = $config['roleMap'];
		$fields   = array();
		if ( in_array( 'roleMap', $parts, true ) ) {
			$fields['roleMap[defaultRole]'] = $role_map['defaultRole'];
			foreach ( $role_map['rules'] as $index => $rule ) {
				$fields[ 'roleMap[rules][' . $index . '][role]' ] = $rule['role'];
			}
		}
		foreach ( $fields as $field => $role ) {
			if ( ! wp_roles()->is_role( $role ) ) {
				/* translators: %s: role name */
				$add( 'usersync_invalid_role_map', $field, sprintf( __( 'The role "%s" does not exist.', 'usersync' ), $role ) );
			} elseif ( Installer::SERVICE_ROLE === $role ) {
				$add( 'usersync_invalid_role_map', $field, __( 'The UserSync service role belongs to the sidecar\'s own account; no rule can grant it.', 'usersync' ) );
			} elseif ( ! Role_Mapper::may_grant( $role, $role_map['allowAdministrator'] ) ) {
				/* translators: %s: role name */
				$add( 'usersync_invalid_role_map', $field, sprintf( __( 'The role "%s" can manage users, plugins or settings: a sync grants it only when "Allow administrator" is on.', 'usersync' ), $role ) );
			}
		}
		if ( in_array( 'roleMap', $parts, true ) ) {
			$known = Connection::known();
			foreach ( $role_map['updateModes'] as $connection => $mode ) {
				$field = 'roleMap[updateModes][' . $connection . ']';
				if ( ! in_array( $mode, Role_Mapper::UPDATE_MODES, true ) ) {
					/* translators: %s: the mode given */
					$add( 'usersync_invalid_role_map', $field, sprintf( __( '"%s" is not a role update mode: use replace, add or keep.', 'usersync' ), $mode ) );
				} elseif ( ! in_array( (string) $connection, $known, true ) ) {
					/* translators: %s: connection slug */
					$add( 'usersync_invalid_role_map', $field, sprintf( __( 'There is no connection "%s".', 'usersync' ), $connection ) );
				}
			}
			foreach ( $role_map['rules'] as $index => $rule ) {
				$field = 'roleMap[rules][' . $index . '][connections]';
				if ( in_array( Role_Mapper::ANY_CONNECTION, $rule['connections'], true ) && 1 < count( $rule['connections'] ) ) {
					$add( 'usersync_invalid_role_map', $field, __( 'Choose "Any connection" or a list of connections, not both.', 'usersync' ) );
					continue;
				}
				foreach ( $rule['connections'] as $connection ) {
					if ( Role_Mapper::ANY_CONNECTION !== $connection && ! in_array( $connection, $known, true ) ) {
						/* translators: %s: connection slug */
						$add( 'usersync_invalid_role_map', $field, sprintf( __( 'There is no connection "%s".', 'usersync' ), $connection ) );
					}
				}
			}
		}

		$reassign = $config['deprovision']['reassignTo'];
		if ( in_array( 'deprovision', $parts, true ) && null !== $reassign && ! get_userdata( $reassign ) ) {
			/* translators: %d: user id */
			$add( 'usersync_invalid_deprovision', 'deprovision[reassignTo]', sprintf( __( 'deprovision.reassignTo: there is no user with id %d.', 'usersync' ), $reassign ) );
		}

		if ( ! $problems ) {
			return null;
		}
		$first = reset( $problems );
		return new WP_Error(
			$first[0],
			$first[1],
			array(
				'status' => 400,
				'params' => array_map( static fn( array $problem ): string => $problem[1], $problems ),
			)
		);
	}
}
