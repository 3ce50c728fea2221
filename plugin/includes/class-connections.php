<?php
/**
 * Pull connections (sources the sidecar syncs from): stored configuration and secrets.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Connections live in the option `usersync_connections` (not autoloaded), keyed by slug. The
 * slug is the identity-link namespace of the users a connection brings, so it never changes
 * once created. Secrets are stored encrypted (Secrets) and only ever leave WordPress towards
 * the sidecar; admins see whether one is set.
 */
class Connections {

	public const OPTION = 'usersync_connections';

	public const TYPES  = array( 'microsoft-graph' );
	public const CLOUDS = array( 'global', 'usgov', 'usgovdod', 'china' );

	/**
	 * Settings of a Microsoft Graph connection, with their defaults.
	 */
	private const GRAPH_DEFAULTS = array(
		'tenantId'     => '',
		'clientId'     => '',
		'cloud'        => 'global',
		'b2c'          => false,
		'authorityUrl' => null,
		'graphUrl'     => null,
		'pageSize'     => 500,
		'concurrency'  => 4,
	);

	/**
	 * Fields common to every connection, with their defaults.
	 */
	private const COMMON_DEFAULTS = array(
		'enabled'          => true,
		'schedule'         => null,
		'photos'           => true,
		'batchSize'        => 100,
		'batchConcurrency' => 2,
	);

	/**
	 * Integer fields: [min, max].
	 */
	/** A tenant's domain, e.g. contoso.onmicrosoft.com or contoso.com. */
	private const DOMAIN = '/^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i';

	private const RANGES = array(
		'pageSize'         => array( 1, 999 ),
		'concurrency'      => array( 1, 32 ),
		'batchSize'        => array( 1, 500 ),
		'batchConcurrency' => array( 1, 8 ),
	);

	/**
	 * Stored connections, oldest first.
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public function all(): array {
		$stored = get_option( self::OPTION, array() );
		if ( ! is_array( $stored ) ) {
			return array();
		}
		$connections = array_filter( $stored, static fn( $c ): bool => is_array( $c ) && isset( $c['slug'] ) );
		uasort( $connections, static fn( array $a, array $b ): int => strcmp( (string) $a['createdAt'], (string) $b['createdAt'] ) ?: strcmp( $a['slug'], $b['slug'] ) );
		return $connections;
	}

	/**
	 * One stored connection.
	 *
	 * @param string $slug Slug.
	 * @return array<string, mixed>|null
	 */
	public function get( string $slug ): ?array {
		return $this->all()[ $slug ] ?? null;
	}

	/**
	 * Creates a connection.
	 *
	 * @param array<string, mixed> $input Fields (name, type, slug?, settings, clientSecret, …).
	 * @return array<string, mixed>|WP_Error The stored connection.
	 */
	public function create( array $input ) {
		$all  = $this->all();
		$name = isset( $input['name'] ) ? trim( (string) $input['name'] ) : '';
		$slug = isset( $input['slug'] ) && '' !== $input['slug'] ? (string) $input['slug'] : Connection::from_name( $name );
		if ( ! Connection::is_valid( $slug ) ) {
			return self::invalid( 'slug', __( 'The slug must be 1 to 64 characters of a-z, 0-9 and "-". Give one explicitly when the name has no such characters.', 'usersync' ) );
		}
		if ( isset( $all[ $slug ] ) ) {
			return new WP_Error(
				'usersync_connection_exists',
				/* translators: %s: connection slug */
				sprintf( __( 'A connection with the slug "%s" already exists.', 'usersync' ), $slug ),
				array( 'status' => 409 )
			);
		}
		if ( ! isset( $input['clientSecret'] ) || '' === (string) $input['clientSecret'] ) {
			return self::invalid( 'clientSecret', __( 'The client secret is required.', 'usersync' ) );
		}
		$now        = gmdate( 'Y-m-d\TH:i:s\Z' );
		$connection = array_merge(
			self::COMMON_DEFAULTS,
			array(
				'slug'      => $slug,
				'name'      => '',
				'type'      => 'microsoft-graph',
				'settings'  => self::GRAPH_DEFAULTS,
				'secrets'   => array(),
				'createdAt' => $now,
			)
		);
		$connection = $this->merge( $connection, $input );
		if ( is_wp_error( $connection ) ) {
			return $connection;
		}
		$connection['modifiedAt'] = $now;
		$all[ $slug ]             = $connection;
		update_option( self::OPTION, $all, false );
		return $connection;
	}

	/**
	 * Updates a connection: fields not given stay as they are; an empty or absent secret
	 * keeps the stored one.
	 *
	 * @param string               $slug  Slug.
	 * @param array<string, mixed> $input Fields to change.
	 * @return array<string, mixed>|WP_Error
	 */
	public function update( string $slug, array $input ) {
		$all = $this->all();
		if ( ! isset( $all[ $slug ] ) ) {
			return self::not_found( $slug );
		}
		if ( isset( $input['slug'] ) && $input['slug'] !== $slug ) {
			return self::invalid( 'slug', __( 'The slug of a connection cannot change: it names the identity links of its users.', 'usersync' ) );
		}
		if ( isset( $input['type'] ) && $input['type'] !== $all[ $slug ]['type'] ) {
			return self::invalid( 'type', __( 'The type of a connection cannot change. Create a new connection instead.', 'usersync' ) );
		}
		$connection = $this->merge( $all[ $slug ], $input );
		if ( is_wp_error( $connection ) ) {
			return $connection;
		}
		$connection['modifiedAt'] = gmdate( 'Y-m-d\TH:i:s\Z' );
		$all[ $slug ]             = $connection;
		update_option( self::OPTION, $all, false );
		return $connection;
	}

	/**
	 * What importing connections would store, checked by the same rules as create() and
	 * update(), without storing anything. A slug that exists updates that connection (its
	 * secret kept); a new one becomes a connection that is disabled until its client secret
	 * is entered. Connections not in the list stay as they are.
	 *
	 * @param array<int, mixed> $items Connections as exported (no secrets).
	 * @return array{all: array<string, array<string, mixed>>, created: string[], updated: string[], notes: string[]}|WP_Error
	 */
	public function prepare_import( array $items ) {
		$all     = $this->all();
		$now     = gmdate( 'Y-m-d\TH:i:s\Z' );
		$params  = array();
		$seen    = array();
		$created = array();
		$updated = array();
		$notes   = array();
		foreach ( array_values( $items ) as $index => $item ) {
			$field = 'connections[' . $index . ']';
			if ( ! Json::is_object( $item ) ) {
				$params[ $field ] = __( 'Each connection must be an object.', 'usersync' );
				continue;
			}
			if ( array_key_exists( 'clientSecret', $item ) ) {
				$params[ $field . '[clientSecret]' ] = __( 'A settings file carries no secrets; enter the client secret on the Connections tab.', 'usersync' );
				continue;
			}
			$slug = isset( $item['slug'] ) ? (string) $item['slug'] : '';
			if ( ! Connection::is_valid( $slug ) ) {
				$params[ $field . '[slug]' ] = __( 'The slug must be 1 to 64 characters of a-z, 0-9 and "-".', 'usersync' );
				continue;
			}
			if ( isset( $seen[ $slug ] ) ) {
				/* translators: %s: connection slug */
				$params[ $field . '[slug]' ] = sprintf( __( 'The slug "%s" is used by two connections.', 'usersync' ), $slug );
				continue;
			}
			$seen[ $slug ] = true;
			unset( $item['createdAt'], $item['modifiedAt'] );
			$existing = $all[ $slug ] ?? null;
			if ( $existing && isset( $item['type'] ) && $item['type'] !== $existing['type'] ) {
				$params[ $field . '[type]' ] = __( 'The type of a connection cannot change. Create a new connection instead.', 'usersync' );
				continue;
			}
			$base       = $existing ?? array_merge(
				self::COMMON_DEFAULTS,
				array(
					'slug'      => $slug,
					'name'      => '',
					'type'      => 'microsoft-graph',
					'settings'  => self::GRAPH_DEFAULTS,
					'secrets'   => array(),
					'createdAt' => $now,
				)
			);
			$connection = $this->merge( $base, $item );
			if ( is_wp_error( $connection ) ) {
				$data = $connection->get_error_data();
				$params[ $field . '[' . ( is_array( $data ) && isset( $data['field'] ) ? $data['field'] : 'slug' ) . ']' ] = $connection->get_error_message();
				continue;
			}
			if ( ! $existing ) {
				$connection['enabled'] = false;
				$created[]             = $slug;
				/* translators: %s: connection slug */
				$notes[] = sprintf( __( 'Connection "%s" arrives disabled: enter its client secret, then enable it.', 'usersync' ), $slug );
			} else {
				$updated[] = $slug;
			}
			$connection['modifiedAt'] = $now;
			$all[ $slug ]             = $connection;
		}
		if ( $params ) {
			return new WP_Error(
				'usersync_invalid_connection',
				(string) reset( $params ),
				array(
					'status' => 400,
					'params' => $params,
				)
			);
		}
		return array(
			'all'     => $all,
			'created' => $created,
			'updated' => $updated,
			'notes'   => $notes,
		);
	}

	/**
	 * Stores connections prepared by prepare_import().
	 *
	 * @param array<string, array<string, mixed>> $all Every connection, keyed by slug.
	 */
	public function replace_all( array $all ): void {
		update_option( self::OPTION, $all, false );
	}

	/**
	 * Deletes a connection (its users and their links stay).
	 *
	 * @param string $slug Slug.
	 * @return true|WP_Error
	 */
	public function delete( string $slug ) {
		$all = $this->all();
		if ( ! isset( $all[ $slug ] ) ) {
			return self::not_found( $slug );
		}
		unset( $all[ $slug ] );
		update_option( self::OPTION, $all, false );
		return true;
	}

	/**
	 * What admins see: settings flattened, secrets only as `{ "set": bool }`.
	 *
	 * @param array<string, mixed> $connection Stored connection.
	 * @return array<string, mixed>
	 */
	public static function to_public( array $connection ): array {
		$public = array(
			'slug'     => $connection['slug'],
			'name'     => $connection['name'],
			'type'     => $connection['type'],
			'enabled'  => (bool) $connection['enabled'],
			'schedule' => $connection['schedule'],
			'photos'   => (bool) $connection['photos'],
		);
		foreach ( self::GRAPH_DEFAULTS as $key => $default ) {
			$public[ $key ] = $connection['settings'][ $key ] ?? $default;
		}
		$public['batchSize']        = (int) $connection['batchSize'];
		$public['batchConcurrency'] = (int) $connection['batchConcurrency'];
		$public['clientSecret']     = array( 'set' => isset( $connection['secrets']['clientSecret'] ) && '' !== $connection['secrets']['clientSecret'] );
		$public['createdAt']        = $connection['createdAt'];
		$public['modifiedAt']       = $connection['modifiedAt'] ?? $connection['createdAt'];
		return $public;
	}

	/**
	 * What the sidecar gets: settings with the secrets decrypted.
	 *
	 * @param array<string, mixed> $connection Stored connection.
	 * @return array<string, mixed>
	 */
	public static function to_sidecar( array $connection ): array {
		$settings = $connection['settings'];
		$problems = array();
		foreach ( (array) $connection['secrets'] as $key => $stored ) {
			$plain = Secrets::decrypt( (string) $stored );
			if ( null === $plain ) {
				$problems[] = $key;
				continue;
			}
			$settings[ $key ] = $plain;
		}
		$out = array(
			'slug'             => $connection['slug'],
			'name'             => $connection['name'],
			'type'             => $connection['type'],
			'enabled'          => (bool) $connection['enabled'],
			'schedule'         => $connection['schedule'],
			'photos'           => (bool) $connection['photos'],
			'settings'         => $settings,
			'batchSize'        => (int) $connection['batchSize'],
			'batchConcurrency' => (int) $connection['batchConcurrency'],
			'createdAt'        => $connection['createdAt'],
			'modifiedAt'       => $connection['modifiedAt'] ?? $connection['createdAt'],
		);
		if ( $problems ) {
			$out['secretError'] = sprintf(
				/* translators: %s: secret names */
				__( 'The stored %s cannot be decrypted (the site\'s AUTH_KEY or AUTH_SALT changed?). Enter it again.', 'usersync' ),
				implode( ', ', $problems )
			);
		}
		return $out;
	}

	/**
	 * Applies validated input onto a connection.
	 *
	 * @param array<string, mixed> $connection Current connection.
	 * @param array<string, mixed> $input      Input fields.
	 * @return array<string, mixed>|WP_Error
	 */
	private function merge( array $connection, array $input ) {
		if ( array_key_exists( 'name', $input ) ) {
			$name = trim( (string) $input['name'] );
			if ( '' === $name || mb_strlen( $name ) > 100 ) {
				return self::invalid( 'name', __( 'The name must be 1 to 100 characters long.', 'usersync' ) );
			}
			$connection['name'] = $name;
		}
		if ( '' === $connection['name'] ) {
			return self::invalid( 'name', __( 'The name is required.', 'usersync' ) );
		}
		if ( array_key_exists( 'type', $input ) ) {
			if ( ! in_array( $input['type'], self::TYPES, true ) ) {
				/* translators: %s: list of types */
				return self::invalid( 'type', sprintf( __( 'The type must be one of: %s.', 'usersync' ), implode( ', ', self::TYPES ) ) );
			}
			$connection['type'] = $input['type'];
		}
		foreach ( array( 'enabled', 'photos' ) as $flag ) {
			if ( array_key_exists( $flag, $input ) ) {
				$connection[ $flag ] = (bool) $input[ $flag ];
			}
		}
		if ( array_key_exists( 'schedule', $input ) ) {
			$schedule = null === $input['schedule'] ? '' : trim( (string) $input['schedule'] );
			if ( '' !== $schedule && ! self::is_cron( $schedule ) ) {
				return self::invalid( 'schedule', __( 'The schedule must be a cron expression with 5 or 6 fields, e.g. "*/30 * * * *" (every 30 minutes).', 'usersync' ) );
			}
			$connection['schedule'] = '' === $schedule ? null : $schedule;
		}
		foreach ( array( 'batchSize', 'batchConcurrency' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$value = self::integer( $key, $input[ $key ] );
				if ( is_wp_error( $value ) ) {
					return $value;
				}
				$connection[ $key ] = $value;
			}
		}

		$settings = $connection['settings'];
		foreach ( array( 'tenantId', 'clientId' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$settings[ $key ] = trim( (string) $input[ $key ] );
			}
		}
		// A client ID is a GUID; a tenant is a GUID or one of its domains.
		if ( ! self::is_guid( $settings['tenantId'] ) && 1 !== preg_match( self::DOMAIN, $settings['tenantId'] ) ) {
			return self::invalid( 'tenantId', __( 'tenantId must be the directory (tenant) ID, a GUID such as 72f988bf-86f1-41af-91ab-2d7cd011db47, or a domain of the tenant such as contoso.onmicrosoft.com.', 'usersync' ) );
		}
		if ( ! self::is_guid( $settings['clientId'] ) ) {
			return self::invalid( 'clientId', __( 'clientId must be the application (client) ID of the app registration, a GUID such as 5b1f7e2c-3d4a-4f6b-8c9d-0e1f2a3b4c5d.', 'usersync' ) );
		}
		if ( array_key_exists( 'cloud', $input ) ) {
			if ( ! in_array( $input['cloud'], self::CLOUDS, true ) ) {
				return self::invalid( 'cloud', __( 'The cloud must be global, usgov, usgovdod or china.', 'usersync' ) );
			}
			$settings['cloud'] = $input['cloud'];
		}
		if ( array_key_exists( 'b2c', $input ) ) {
			$settings['b2c'] = (bool) $input['b2c'];
		}
		foreach ( array( 'authorityUrl', 'graphUrl' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$url = null === $input[ $key ] ? '' : trim( (string) $input[ $key ] );
				if ( '' !== $url && ( ! filter_var( $url, FILTER_VALIDATE_URL ) || 1 !== preg_match( '#^https?://#i', $url ) ) ) {
					/* translators: %s: field name */
					return self::invalid( $key, sprintf( __( '%s must be an http(s) URL, or empty for the cloud\'s own.', 'usersync' ), $key ) );
				}
				$settings[ $key ] = '' === $url ? null : untrailingslashit( $url );
			}
		}
		foreach ( array( 'pageSize', 'concurrency' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$value = self::integer( $key, $input[ $key ] );
				if ( is_wp_error( $value ) ) {
					return $value;
				}
				$settings[ $key ] = $value;
			}
		}
		$connection['settings'] = $settings;

		if ( isset( $input['clientSecret'] ) && is_string( $input['clientSecret'] ) && '' !== $input['clientSecret'] ) {
			if ( strlen( $input['clientSecret'] ) > 1024 ) {
				return self::invalid( 'clientSecret', __( 'The client secret is too long.', 'usersync' ) );
			}
			$connection['secrets']['clientSecret'] = Secrets::encrypt( $input['clientSecret'] );
		}
		return $connection;
	}

	/**
	 * Whether a value is a GUID (8-4-4-4-12 hexadecimal digits).
	 *
	 * @param string $value Candidate.
	 */
	private static function is_guid( string $value ): bool {
		return 1 === preg_match( '/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i', $value );
	}

	/**
	 * Whether a value looks like a 5- or 6-field cron expression (the sidecar checks it fully).
	 *
	 * @param string $value Candidate.
	 */
	private static function is_cron( string $value ): bool {
		$fields = preg_split( '/\s+/', $value );
		if ( ! is_array( $fields ) || count( $fields ) < 5 || count( $fields ) > 6 ) {
			return false;
		}
		foreach ( $fields as $field ) {
			if ( 1 !== preg_match( '/^[0-9A-Za-z*\/,?#-]+$/', $field ) ) {
				return false;
			}
		}
		return true;
	}

	/**
	 * A whole number within the field's range.
	 *
	 * @param string $key   Field.
	 * @param mixed  $value Value.
	 * @return int|WP_Error
	 */
	private static function integer( string $key, $value ) {
		list( $min, $max ) = self::RANGES[ $key ];
		if ( ! is_numeric( $value ) || (int) $value != $value || (int) $value < $min || (int) $value > $max ) { // phpcs:ignore Universal.Operators.StrictComparisons.LooseNotEqual
			/* translators: 1: field name, 2: minimum, 3: maximum */
			return self::invalid( $key, sprintf( __( '%1$s must be a whole number from %2$d to %3$d.', 'usersync' ), $key, $min, $max ) );
		}
		return (int) $value;
	}

	/**
	 * A 400 error naming the field.
	 *
	 * @param string $field   Field.
	 * @param string $message Message.
	 */
	private static function invalid( string $field, string $message ): WP_Error {
		return new WP_Error( 'usersync_invalid_connection', $message, array( 'status' => 400, 'field' => $field ) );
	}

	/**
	 * 404 for an unknown slug.
	 *
	 * @param string $slug Slug.
	 */
	private static function not_found( string $slug ): WP_Error {
		return new WP_Error(
			'usersync_connection_not_found',
			/* translators: %s: connection slug */
			sprintf( __( 'There is no connection "%s".', 'usersync' ), $slug ),
			array( 'status' => 404 )
		);
	}
}
