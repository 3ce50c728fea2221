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

	public const TYPES  = array( 'microsoft-graph', 'salesforce' );
	public const CLOUDS = Connections\Graph_Settings::CLOUDS;

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
	private const RANGES = array(
		'batchSize'        => array( 1, 500 ),
		'batchConcurrency' => array( 1, 8 ),
	);

	/**
	 * The settings rules of a kind of connection.
	 *
	 * @param string $type Type (one of TYPES; anything else is Microsoft Graph, the first kind).
	 */
	public static function type( string $type ): Connections\Connection_Type {
		return 'salesforce' === $type ? new Connections\Salesforce_Settings() : new Connections\Graph_Settings();
	}

	/**
	 * Names of the secrets a connection of this type takes.
	 *
	 * @param string $type Type.
	 * @return string[]
	 */
	public static function secret_names( string $type ): array {
		return self::type( $type )->secrets();
	}

	/**
	 * A connection not stored yet, with the defaults of its type.
	 *
	 * @param string $slug Slug.
	 * @param string $type Type.
	 * @param string $now  Creation time.
	 * @return array<string, mixed>
	 */
	private static function blank( string $slug, string $type, string $now ): array {
		return array_merge(
			self::COMMON_DEFAULTS,
			array(
				'slug'      => $slug,
				'name'      => '',
				'type'      => $type,
				'settings'  => self::type( $type )->defaults(),
				'secrets'   => array(),
				'createdAt' => $now,
			)
		);
	}

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
		$type = $input['type'] ?? self::TYPES[0];
		if ( ! in_array( $type, self::TYPES, true ) ) {
			/* translators: %s: list of types */
			return self::invalid( 'type', sprintf( __( 'The type must be one of: %s.', 'usersync' ), implode( ', ', self::TYPES ) ) );
		}
		foreach ( self::type( $type )->required_secrets( $input ) as $secret ) {
			if ( ! isset( $input[ $secret ] ) || ! is_string( $input[ $secret ] ) || '' === $input[ $secret ] ) {
				return self::invalid( $secret, self::secret_required( $secret ) );
			}
		}
		$now        = gmdate( 'Y-m-d\TH:i:s\Z' );
		$connection = self::blank( $slug, $type, $now );
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
		// A change of sign-in flow needs that flow's secrets.
		$type   = self::type( $connection['type'] );
		$needed = array_diff( $type->required_secrets( $connection['settings'] ), $type->required_secrets( $all[ $slug ]['settings'] ) );
		foreach ( $needed as $secret ) {
			if ( empty( $connection['secrets'][ $secret ] ) ) {
				return self::invalid( $secret, self::secret_required( $secret ) );
			}
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
			$secret_keys = array_intersect( array_keys( $item ), array_merge( ...array_map( array( self::class, 'secret_names' ), self::TYPES ) ) );
			if ( $secret_keys ) {
				$secret                                 = (string) reset( $secret_keys );
				$params[ $field . '[' . $secret . ']' ] = 'clientSecret' === $secret
					? __( 'A settings file carries no secrets; enter the client secret on the Connections tab.', 'usersync' )
					/* translators: %s: secret name */
					: sprintf( __( 'A settings file carries no secrets; enter %s on the Connections tab.', 'usersync' ), $secret );
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
			$type = $existing['type'] ?? ( $item['type'] ?? self::TYPES[0] );
			if ( ! in_array( $type, self::TYPES, true ) ) {
				/* translators: %s: list of types */
				$params[ $field . '[type]' ] = sprintf( __( 'The type must be one of: %s.', 'usersync' ), implode( ', ', self::TYPES ) );
				continue;
			}
			$base       = $existing ?? self::blank( $slug, $type, $now );
			$connection = $this->merge( $base, $item );
			if ( is_wp_error( $connection ) ) {
				$data     = $connection->get_error_data();
				$problems = is_array( $data ) && isset( $data['params'] ) ? (array) $data['params'] : array( ( is_array( $data ) && isset( $data['field'] ) ? $data['field'] : 'slug' ) => $connection->get_error_message() );
				foreach ( $problems as $path => $message ) {
					// objectMaps[0][id] of the connection is connections[3][objectMaps][0][id] of the file.
					$params[ $field . preg_replace( '/^([^\[]+)/', '[$1]', (string) $path ) ] = $message;
				}
				continue;
			}
			if ( ! $existing ) {
				$connection['enabled'] = false;
				$created[]             = $slug;
				$notes[] = 'microsoft-graph' === $type
					/* translators: %s: connection slug */
					? sprintf( __( 'Connection "%s" arrives disabled: enter its client secret, then enable it.', 'usersync' ), $slug )
					/* translators: %s: connection slug */
					: sprintf( __( 'Connection "%s" arrives disabled: enter its secrets, then enable it.', 'usersync' ), $slug );
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
	 * What admins see: settings flattened, each secret of the type only as `{ "set": bool }`.
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
		$type                       = self::type( (string) $connection['type'] );
		$public                    += $type->to_public( (array) $connection['settings'] );
		$public['batchSize']        = (int) $connection['batchSize'];
		$public['batchConcurrency'] = (int) $connection['batchConcurrency'];
		foreach ( $type->secrets() as $secret ) {
			$public[ $secret ] = array( 'set' => isset( $connection['secrets'][ $secret ] ) && '' !== $connection['secrets'][ $secret ] );
		}
		$public['createdAt']  = $connection['createdAt'];
		$public['modifiedAt'] = $connection['modifiedAt'] ?? $connection['createdAt'];
		return $public;
	}

	/**
	 * What the sidecar gets: settings with the secrets decrypted.
	 *
	 * @param array<string, mixed> $connection Stored connection.
	 * @return array<string, mixed>
	 */
	public static function to_sidecar( array $connection ): array {
		$settings = self::type( (string) $connection['type'] )->to_sidecar( (array) $connection['settings'] );
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

		$type     = self::type( (string) $connection['type'] );
		$settings = $type->merge( (array) $connection['settings'], $input );
		if ( is_wp_error( $settings ) ) {
			return $settings;
		}
		$connection['settings'] = $settings;

		foreach ( $type->secrets() as $secret ) {
			if ( isset( $input[ $secret ] ) && is_string( $input[ $secret ] ) && '' !== $input[ $secret ] ) {
				$problem = $type->secret_problem( $secret, $input[ $secret ] );
				if ( null !== $problem ) {
					return self::invalid( $secret, $problem );
				}
				$connection['secrets'][ $secret ] = Secrets::encrypt( $input[ $secret ] );
			}
		}
		return $connection;
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
	 * "This secret is required", in words.
	 *
	 * @param string $secret Secret.
	 */
	private static function secret_required( string $secret ): string {
		switch ( $secret ) {
			case 'clientSecret':
				return __( 'The client secret is required.', 'usersync' );
			case 'privateKey':
				return __( 'The JWT bearer flow needs the private key (PEM) whose certificate is uploaded to the connected app.', 'usersync' );
			case 'refreshToken':
				return __( 'The refresh token flow needs a refresh token of the connected app.', 'usersync' );
		}
		/* translators: %s: secret name */
		return sprintf( __( '%s is required.', 'usersync' ), $secret );
	}

	/**
	 * A 400 error naming the field.
	 *
	 * @param string $field   Field.
	 * @param string $message Message.
	 */
	private static function invalid( string $field, string $message ): WP_Error {
		return Connections\Invalid_Input::field( $field, $message );
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
