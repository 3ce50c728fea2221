<?php
/**
 * Settings of a Salesforce connection: sign-in, API version, budget and the object maps.
 *
 * @package UserSync
 */

namespace UserSync\Connections;

use UserSync\Config;
use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * A Salesforce connection is both a pull source and a push target. It signs in with one of
 * three OAuth flows (client credentials on the org's My Domain, JWT bearer with a private key,
 * or a refresh token), each needing its own secrets, and maps WordPress users to Salesforce
 * records (Contact, Lead, Account, …) through object maps: which direction may create,
 * update and delete, how records are matched, and a field map with a direction per row.
 *
 * The WordPress side of every field row is checked like the site attribute map's targets
 * (Config::target_problem): roles, capabilities and other protected meta can never be
 * written from Salesforce. The sidecar checks the Salesforce side against describe.
 */
final class Salesforce_Settings implements Connection_Type {

	public const FLOWS      = array( 'client_credentials', 'jwt', 'refresh_token' );
	public const REALTIME   = array( 'none', 'cometd' );
	public const TRANSFORMS = array( 'none', 'lowercase', 'uppercase', 'trim', 'template', 'picklist-map', 'date', 'datetime', 'boolean' );
	public const CONFLICTS  = array( 'last-writer-wins', 'wordpress-wins', 'salesforce-wins' );

	/** Secrets each flow needs. */
	private const FLOW_SECRETS = array(
		'client_credentials' => array( 'clientSecret' ),
		'jwt'                => array( 'privateKey' ),
		'refresh_token'      => array( 'clientSecret', 'refreshToken' ),
	);

	/** Longest accepted value of each secret. */
	private const SECRET_LENGTHS = array(
		'clientSecret' => 1024,
		'privateKey'   => 16384,
		'refreshToken' => 4096,
	);

	private const DEFAULTS = array(
		'loginUrl'          => 'https://login.salesforce.com',
		'flow'              => 'client_credentials',
		'clientId'          => '',
		'username'          => '',
		'apiVersion'        => '62.0',
		'callOptionsClient' => 'usersync',
		'apiBudgetShare'    => 0.8,
		'push'              => true,
		'realtime'          => 'none',
		'objectMaps'        => array(),
	);

	private const MAP_DEFAULTS = array(
		'id'           => '',
		'wpObject'     => 'user',
		'sfObject'     => 'Contact',
		'recordTypeId' => null,
		'filter'       => '',
		'operations'   => array(
			'create' => array( 'push', 'pull' ),
			'update' => array( 'push', 'pull' ),
			'delete' => array(),
		),
		'match'        => array(),
		'deletePolicy' => array(
			'pull' => 'disable',
			'push' => 'ignore',
		),
		'conflict'     => 'last-writer-wins',
		'fields'       => array(),
	);

	private const FIELD_DEFAULTS = array(
		'wp'        => '',
		'sf'        => '',
		'direction' => 'both',
		'transform' => 'none',
		'default'   => null,
		'template'  => null,
		'valueMap'  => null,
		'nulls'     => 'propagate',
	);

	private const MAX_OBJECT_MAPS = 10;
	private const MAX_FIELDS      = 100;
	private const MAX_MATCH_KEYS  = 5;
	private const MAX_FILTER      = 2000;

	/** An object's API name: Contact, Member__c, ns__Member__c. */
	private const OBJECT_NAME = '/^[A-Za-z][A-Za-z0-9_]{0,79}$/';

	/** A field's API name, dotted for a compound field's part (MailingAddress.city). */
	private const FIELD_NAME = '/^[A-Za-z][A-Za-z0-9_]{0,79}(\.[A-Za-z][A-Za-z0-9_]{0,79})?$/';

	/**
	 * Settings of a new connection.
	 *
	 * @return array<string, mixed>
	 */
	public function defaults(): array {
		return self::DEFAULTS;
	}

	/**
	 * Applies input onto settings; every problem is reported, keyed by its field path.
	 *
	 * @param array<string, mixed> $settings Current settings.
	 * @param array<string, mixed> $input    Input fields.
	 * @return array<string, mixed>|WP_Error
	 */
	public function merge( array $settings, array $input ) {
		$settings = array_merge( self::DEFAULTS, $settings );
		$problems = array();
		$add      = static function ( string $field, string $message ) use ( &$problems ): void {
			if ( ! isset( $problems[ $field ] ) ) {
				$problems[ $field ] = $message;
			}
		};

		if ( array_key_exists( 'loginUrl', $input ) ) {
			$url = is_string( $input['loginUrl'] ) ? untrailingslashit( trim( $input['loginUrl'] ) ) : '';
			$settings['loginUrl'] = $url;
		}
		if ( array_key_exists( 'flow', $input ) ) {
			$settings['flow'] = $input['flow'];
		}
		foreach ( array( 'clientId', 'username', 'apiVersion', 'callOptionsClient' ) as $key ) {
			if ( array_key_exists( $key, $input ) ) {
				$settings[ $key ] = is_scalar( $input[ $key ] ) ? trim( (string) $input[ $key ] ) : '';
			}
		}
		if ( array_key_exists( 'apiBudgetShare', $input ) ) {
			$settings['apiBudgetShare'] = is_numeric( $input['apiBudgetShare'] ) ? (float) $input['apiBudgetShare'] : null;
		}
		if ( array_key_exists( 'push', $input ) ) {
			$settings['push'] = (bool) $input['push'];
		}
		if ( array_key_exists( 'realtime', $input ) ) {
			$settings['realtime'] = $input['realtime'];
		}

		$url_problem = self::login_url_problem( (string) $settings['loginUrl'], $settings['flow'] );
		if ( null !== $url_problem ) {
			$add( 'loginUrl', $url_problem );
		}
		if ( ! in_array( $settings['flow'], self::FLOWS, true ) ) {
			$add( 'flow', __( 'The flow must be client_credentials, jwt or refresh_token.', 'usersync' ) );
		}
		if ( 1 !== preg_match( '/^[\x21-\x7e]{1,256}$/', (string) $settings['clientId'] ) ) {
			$add( 'clientId', __( 'clientId must be the consumer key of the connected app (up to 256 characters, no spaces).', 'usersync' ) );
		}
		if ( 'jwt' === $settings['flow'] && 1 !== preg_match( '/^[^\s@]{1,128}@[^\s@]{1,126}$/', (string) $settings['username'] ) ) {
			$add( 'username', __( 'The JWT bearer flow signs in as a Salesforce user: enter that user\'s username, e.g. integration@acme.com.', 'usersync' ) );
		} elseif ( strlen( (string) $settings['username'] ) > 255 ) {
			$add( 'username', __( 'The username is too long.', 'usersync' ) );
		}
		if ( 1 !== preg_match( '/^[1-9][0-9]\.0$/', (string) $settings['apiVersion'] ) ) {
			$add( 'apiVersion', __( 'apiVersion must look like "62.0" (a major version, then ".0").', 'usersync' ) );
		} elseif ( 'cometd' === $settings['realtime'] && (int) $settings['apiVersion'] < 37 ) {
			$add( 'apiVersion', __( 'Change events over CometD need API version 37.0 or later.', 'usersync' ) );
		}
		if ( 1 !== preg_match( '/^[A-Za-z0-9_-]{1,40}$/', (string) $settings['callOptionsClient'] ) ) {
			$add( 'callOptionsClient', __( 'callOptionsClient must be 1 to 40 letters, digits, "_" or "-".', 'usersync' ) );
		}
		if ( ! is_float( $settings['apiBudgetShare'] ) || $settings['apiBudgetShare'] < 0.1 || $settings['apiBudgetShare'] > 1 ) {
			$add( 'apiBudgetShare', __( 'apiBudgetShare must be a number from 0.1 to 1 (the share of the daily API allocation pulls may use).', 'usersync' ) );
		}
		if ( ! in_array( $settings['realtime'], self::REALTIME, true ) ) {
			$add( 'realtime', __( 'realtime must be none or cometd.', 'usersync' ) );
		}

		if ( array_key_exists( 'objectMaps', $input ) ) {
			$maps = self::object_maps( $input['objectMaps'], $add );
			if ( null !== $maps ) {
				$settings['objectMaps'] = $maps;
			}
		} elseif ( ! $settings['objectMaps'] ) {
			$add( 'objectMaps', __( 'Add an object map: which Salesforce object the WordPress users sync with.', 'usersync' ) );
		}

		return $problems ? Invalid_Input::all( $problems ) : $settings;
	}

	/**
	 * The three secrets; which are needed depends on the flow.
	 *
	 * @return string[]
	 */
	public function secrets(): array {
		return array_keys( self::SECRET_LENGTHS );
	}

	/**
	 * The secrets of the flow.
	 *
	 * @param array<string, mixed> $settings Settings or input.
	 * @return string[]
	 */
	public function required_secrets( array $settings ): array {
		$flow = $settings['flow'] ?? self::DEFAULTS['flow'];
		return is_string( $flow ) && isset( self::FLOW_SECRETS[ $flow ] ) ? self::FLOW_SECRETS[ $flow ] : array();
	}

	/**
	 * Lengths, and a private key must be an unencrypted PEM private key.
	 *
	 * @param string $name  Secret.
	 * @param string $value Value.
	 */
	public function secret_problem( string $name, string $value ): ?string {
		if ( strlen( $value ) > ( self::SECRET_LENGTHS[ $name ] ?? 0 ) ) {
			/* translators: %s: secret name */
			return sprintf( __( '%s is too long.', 'usersync' ), $name );
		}
		if ( 'privateKey' === $name ) {
			$pem = trim( $value );
			if ( 1 === preg_match( '/^-----BEGIN ENCRYPTED PRIVATE KEY-----/', $pem ) ) {
				return __( 'The private key is encrypted with a passphrase: give it unencrypted (openssl pkey -in key.pem -out plain.pem).', 'usersync' );
			}
			if ( 1 !== preg_match( '/^-----BEGIN (RSA )?PRIVATE KEY-----\s+[A-Za-z0-9+\/=\s]+-----END (RSA )?PRIVATE KEY-----$/', $pem ) ) {
				return __( 'The private key must be a PEM private key, from "-----BEGIN PRIVATE KEY-----" to "-----END PRIVATE KEY-----".', 'usersync' );
			}
			if ( function_exists( 'openssl_pkey_get_private' ) ) {
				$key     = openssl_pkey_get_private( $pem );
				$details = false === $key ? false : openssl_pkey_get_details( $key );
				if ( false === $details || OPENSSL_KEYTYPE_RSA !== ( $details['type'] ?? null ) ) {
					return __( 'The private key cannot be read as an RSA key (the JWT bearer flow signs with RS256).', 'usersync' );
				}
			}
		}
		return null;
	}

	/**
	 * The settings with every default filled.
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_public( array $settings ): array {
		return self::complete( $settings );
	}

	/**
	 * The settings with every default filled, down to each field row.
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_sidecar( array $settings ): array {
		return self::complete( $settings );
	}

	/**
	 * Settings with the defaults of every missing key, object maps and rows included.
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	private static function complete( array $settings ): array {
		$out = array();
		foreach ( self::DEFAULTS as $key => $default ) {
			$out[ $key ] = $settings[ $key ] ?? $default;
		}
		$out['objectMaps'] = array_map( array( self::class, 'complete_map' ), array_values( (array) $out['objectMaps'] ) );
		return $out;
	}

	/**
	 * An object map with its defaults.
	 *
	 * @param array<string, mixed> $map Object map.
	 * @return array<string, mixed>
	 */
	private static function complete_map( array $map ): array {
		$out = array();
		foreach ( self::MAP_DEFAULTS as $key => $default ) {
			$out[ $key ] = $map[ $key ] ?? $default;
		}
		$out['operations']   = array_merge( self::MAP_DEFAULTS['operations'], (array) $out['operations'] );
		$out['deletePolicy'] = array_merge( self::MAP_DEFAULTS['deletePolicy'], (array) $out['deletePolicy'] );
		$out['fields']       = array_map(
			static fn( array $row ): array => array_merge( self::FIELD_DEFAULTS, array_intersect_key( $row, self::FIELD_DEFAULTS ) ),
			array_values( (array) $out['fields'] )
		);
		return $out;
	}

	/**
	 * Why a login URL cannot be used with a flow, or null.
	 *
	 * @param string $url  Login or My Domain URL, without a trailing slash.
	 * @param mixed  $flow Flow.
	 */
	private static function login_url_problem( string $url, $flow ): ?string {
		$parts  = wp_parse_url( $url );
		$scheme = is_array( $parts ) ? strtolower( (string) ( $parts['scheme'] ?? '' ) ) : '';
		$host   = is_array( $parts ) ? strtolower( (string) ( $parts['host'] ?? '' ) ) : '';
		$local  = in_array( $host, array( '127.0.0.1', 'localhost', '[::1]' ), true );
		if ( ! filter_var( $url, FILTER_VALIDATE_URL ) || '' === $host
			|| isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] )
			|| ( isset( $parts['path'] ) && '' !== trim( $parts['path'], '/' ) ) ) {
			return __( 'loginUrl must be https://login.salesforce.com, https://test.salesforce.com or your org\'s My Domain URL, e.g. https://acme.my.salesforce.com (no path).', 'usersync' );
		}
		if ( 'https' !== $scheme && ! ( 'http' === $scheme && $local ) ) {
			return __( 'loginUrl must use https (http only for a Salesforce emulator on 127.0.0.1 or localhost).', 'usersync' );
		}
		// "The client credentials flow doesn't support calls to login.salesforce.com or
		// test.salesforce.com" (Salesforce Help, OAuth 2.0 Client Credentials Flow).
		if ( 'client_credentials' === $flow && in_array( $host, array( 'login.salesforce.com', 'test.salesforce.com' ), true ) ) {
			return __( 'The client credentials flow signs in only on the org\'s My Domain URL (e.g. https://acme.my.salesforce.com), not login.salesforce.com or test.salesforce.com.', 'usersync' );
		}
		return null;
	}

	/**
	 * The object maps given, checked; null when some are refused (each problem added).
	 *
	 * @param mixed    $value Input.
	 * @param callable $add   Adds a problem: (field, message).
	 * @return array<int, array<string, mixed>>|null
	 */
	private static function object_maps( $value, callable $add ): ?array {
		if ( ! is_array( $value ) || ! wp_is_numeric_array( $value ) || ! $value ) {
			$add( 'objectMaps', __( 'objectMaps must list 1 to 10 object maps.', 'usersync' ) );
			return null;
		}
		if ( count( $value ) > self::MAX_OBJECT_MAPS ) {
			$add( 'objectMaps', __( 'objectMaps must list 1 to 10 object maps.', 'usersync' ) );
			return null;
		}
		$maps  = array();
		$ids   = array();
		$clean = true;
		foreach ( array_values( $value ) as $index => $map ) {
			$path = 'objectMaps[' . $index . ']';
			if ( ! is_array( $map ) || ( $map && wp_is_numeric_array( $map ) ) ) {
				$add( $path, __( 'Each object map must be an object.', 'usersync' ) );
				$clean = false;
				continue;
			}
			$checked = self::object_map( $map, $path, $add, $clean );
			if ( isset( $ids[ $checked['id'] ] ) && '' !== $checked['id'] ) {
				/* translators: 1: object map id, 2: number of the other object map */
				$add( $path . '[id]', sprintf( __( 'The object map id "%1$s" is already used by object map %2$d.', 'usersync' ), $checked['id'], $ids[ $checked['id'] ] + 1 ) );
				$clean = false;
			}
			$ids[ $checked['id'] ] = $index;
			$maps[]                = $checked;
		}
		return $clean ? $maps : null;
	}

	/**
	 * One object map, checked and completed.
	 *
	 * @param array<string, mixed> $map   Input.
	 * @param string               $path  Its field path.
	 * @param callable             $add   Adds a problem.
	 * @param bool                 $clean Set to false on any problem.
	 * @return array<string, mixed>
	 */
	private static function object_map( array $map, string $path, callable $add, bool &$clean ): array {
		$fail = static function ( string $field, string $message ) use ( $add, &$clean ): void {
			$add( $field, $message );
			$clean = false;
		};
		$out = array();
		foreach ( self::MAP_DEFAULTS as $key => $default ) {
			$out[ $key ] = array_key_exists( $key, $map ) ? $map[ $key ] : $default;
		}

		if ( ! is_string( $out['id'] ) || 1 !== preg_match( '/^[a-z0-9-]{1,40}$/', $out['id'] ) ) {
			$fail( $path . '[id]', __( 'The object map id must be 1 to 40 characters of a-z, 0-9 and "-" (it names the map\'s sync position, so keep it once set).', 'usersync' ) );
			$out['id'] = '';
		}
		if ( 'user' !== $out['wpObject'] ) {
			$fail( $path . '[wpObject]', __( 'Only WordPress users ("user") can be mapped in this version.', 'usersync' ) );
		}
		if ( ! is_string( $out['sfObject'] ) || 1 !== preg_match( self::OBJECT_NAME, $out['sfObject'] ) ) {
			$fail( $path . '[sfObject]', __( 'sfObject must be a Salesforce object API name, e.g. Contact, Lead or Member__c.', 'usersync' ) );
		}
		if ( null !== $out['recordTypeId'] && ( ! is_string( $out['recordTypeId'] ) || 1 !== preg_match( '/^012[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/', $out['recordTypeId'] ) ) ) {
			$fail( $path . '[recordTypeId]', __( 'recordTypeId must be a record type Id (15 or 18 characters starting with 012), or null.', 'usersync' ) );
		}
		if ( '' === $out['recordTypeId'] ) {
			$out['recordTypeId'] = null;
		}

		$filter = is_string( $out['filter'] ) ? trim( $out['filter'] ) : null;
		$filter_problem = null === $filter ? __( 'The filter must be text.', 'usersync' ) : self::filter_problem( $filter );
		if ( null !== $filter_problem ) {
			$fail( $path . '[filter]', $filter_problem );
		}
		$out['filter'] = (string) $filter;

		$operations = $out['operations'];
		if ( ! is_array( $operations ) || ( $operations && wp_is_numeric_array( $operations ) ) ) {
			$fail( $path . '[operations]', __( 'operations must be an object with create, update and delete lists.', 'usersync' ) );
			$operations = self::MAP_DEFAULTS['operations'];
		}
		$operations = array_merge( self::MAP_DEFAULTS['operations'], $operations );
		foreach ( $operations as $operation => $directions ) {
			if ( ! isset( self::MAP_DEFAULTS['operations'][ $operation ] ) ) {
				/* translators: %s: key given */
				$fail( $path . '[operations][' . $operation . ']', sprintf( __( '"%s" is not an operation: use create, update and delete.', 'usersync' ), $operation ) );
				continue;
			}
			if ( ! is_array( $directions ) || ! wp_is_numeric_array( $directions ) || array_diff( $directions, array( 'push', 'pull' ) ) || count( array_unique( $directions ) ) !== count( $directions ) ) {
				/* translators: %s: operation */
				$fail( $path . '[operations][' . $operation . ']', sprintf( __( 'operations.%s must list "push" (WordPress to Salesforce), "pull" (Salesforce to WordPress), both or neither, each once.', 'usersync' ), $operation ) );
				continue;
			}
			$operations[ $operation ] = array_values( $directions );
		}
		$out['operations'] = array_intersect_key( $operations, self::MAP_DEFAULTS['operations'] );

		$out['match'] = self::match_keys( $out['match'], $path . '[match]', $fail );

		$policy = $out['deletePolicy'];
		if ( ! is_array( $policy ) || ( $policy && wp_is_numeric_array( $policy ) ) ) {
			$fail( $path . '[deletePolicy]', __( 'deletePolicy must be an object with pull and push.', 'usersync' ) );
			$policy = array();
		}
		$policy = array_merge( self::MAP_DEFAULTS['deletePolicy'], $policy );
		if ( ! in_array( $policy['pull'], array( 'disable', 'delete', 'ignore' ), true ) ) {
			$fail( $path . '[deletePolicy][pull]', __( 'deletePolicy.pull must be disable, delete or ignore (what a record deleted in Salesforce does to its WordPress user).', 'usersync' ) );
		}
		if ( ! in_array( $policy['push'], array( 'delete', 'ignore' ), true ) ) {
			$fail( $path . '[deletePolicy][push]', __( 'deletePolicy.push must be delete or ignore (what a user deleted in WordPress does to its Salesforce record).', 'usersync' ) );
		}
		$out['deletePolicy'] = array_intersect_key( $policy, self::MAP_DEFAULTS['deletePolicy'] );

		if ( ! in_array( $out['conflict'], self::CONFLICTS, true ) ) {
			$fail( $path . '[conflict]', __( 'conflict must be last-writer-wins, wordpress-wins or salesforce-wins.', 'usersync' ) );
		}

		$out['fields'] = self::field_rows( $out['fields'], $path . '[fields]', $fail );
		return $out;
	}

	/**
	 * Why a SOQL WHERE fragment cannot be used as a filter, or null.
	 *
	 * The sidecar puts the fragment, in parentheses, into its own query that orders and pages
	 * by SystemModstamp and Id, so it may not end the statement or add clauses of its own.
	 * Words inside string literals and parentheses (subqueries) do not count.
	 *
	 * @param string $filter Fragment, trimmed; '' for none.
	 */
	private static function filter_problem( string $filter ): ?string {
		if ( strlen( $filter ) > self::MAX_FILTER ) {
			return __( 'The filter is longer than 2000 characters.', 'usersync' );
		}
		if ( false !== strpos( $filter, ';' ) ) {
			return __( 'The filter cannot contain ";".', 'usersync' );
		}
		// Top level: string literals and parenthesised parts (subqueries) left out.
		$top       = '';
		$depth     = 0;
		$in_string = false;
		$length    = strlen( $filter );
		for ( $i = 0; $i < $length; $i++ ) {
			$char = $filter[ $i ];
			if ( $in_string ) {
				if ( '\\' === $char ) {
					++$i;
				} elseif ( "'" === $char ) {
					$in_string = false;
				}
				continue;
			}
			if ( "'" === $char ) {
				$in_string = true;
				$top      .= 0 === $depth ? "''" : '';
			} elseif ( '(' === $char ) {
				++$depth;
				$top .= 1 === $depth ? '(' : '';
			} elseif ( ')' === $char ) {
				--$depth;
				if ( $depth < 0 ) {
					return __( 'The filter has a ")" without its "(".', 'usersync' );
				}
				$top .= 0 === $depth ? ')' : '';
			} elseif ( 0 === $depth ) {
				$top .= $char;
			}
		}
		if ( $in_string ) {
			return __( 'The filter has a string literal that is not closed by \'.', 'usersync' );
		}
		if ( 0 !== $depth ) {
			return __( 'The filter has a "(" that is not closed.', 'usersync' );
		}
		if ( 1 === preg_match( '/\b(LIMIT|OFFSET|ORDER\s+BY|GROUP\s+BY|HAVING|FOR\s+(UPDATE|VIEW|REFERENCE)|WITH|USING\s+SCOPE)\b/i', $top, $match ) ) {
			/* translators: %s: the clause found */
			return sprintf( __( 'The filter is a WHERE condition only: remove "%s" (the sync orders and pages the query itself).', 'usersync' ), strtoupper( preg_replace( '/\s+/', ' ', $match[1] ) ) );
		}
		return null;
	}

	/**
	 * Match keys, checked and completed.
	 *
	 * @param mixed    $value Input.
	 * @param string   $path  Field path.
	 * @param callable $fail  Adds a problem.
	 * @return array<int, array<string, mixed>>
	 */
	private static function match_keys( $value, string $path, callable $fail ): array {
		if ( ! is_array( $value ) || ( $value && ! wp_is_numeric_array( $value ) ) || count( $value ) > self::MAX_MATCH_KEYS ) {
			$fail( $path, __( 'match must list up to 5 match keys.', 'usersync' ) );
			return array();
		}
		$keys      = array();
		$external  = false;
		foreach ( array_values( $value ) as $index => $key ) {
			$at = $path . '[' . $index . ']';
			if ( ! is_array( $key ) ) {
				$fail( $at, __( 'Each match key must be an object.', 'usersync' ) );
				continue;
			}
			$kind = $key['kind'] ?? null;
			$sf   = isset( $key['sf'] ) && is_string( $key['sf'] ) ? trim( $key['sf'] ) : '';
			if ( 1 !== preg_match( self::FIELD_NAME, $sf ) || false !== strpos( $sf, '.' ) ) {
				$fail( $at . '[sf]', __( 'A match key\'s sf must be a Salesforce field API name, e.g. Email or UserSync_Id__c.', 'usersync' ) );
			}
			if ( 'externalId' === $kind ) {
				if ( $external ) {
					$fail( $at . '[kind]', __( 'Only one match key can be the external ID (the upsert key).', 'usersync' ) );
				}
				$external = true;
				$keys[]   = array(
					'kind' => 'externalId',
					'sf'   => $sf,
				);
			} elseif ( 'idLookup' === $kind ) {
				$wp      = isset( $key['wp'] ) && is_string( $key['wp'] ) ? trim( $key['wp'] ) : '';
				$problem = '' === $wp ? array( '', __( 'Enter the WordPress field whose value is looked up, e.g. user_email.', 'usersync' ) ) : Config::target_problem( $wp );
				if ( 'avatar' === $wp ) {
					$problem = array( '', __( 'A profile picture cannot be looked up in Salesforce.', 'usersync' ) );
				}
				if ( null !== $problem ) {
					$fail( $at . '[wp]', ucfirst( $problem[1] ) );
				}
				$keys[] = array(
					'kind'            => 'idLookup',
					'sf'              => $sf,
					'wp'              => $wp,
					'caseInsensitive' => array_key_exists( 'caseInsensitive', $key ) ? (bool) $key['caseInsensitive'] : true,
				);
			} else {
				$fail( $at . '[kind]', __( 'A match key\'s kind must be externalId (upsert by an external ID field) or idLookup (find the record by a field such as Email).', 'usersync' ) );
			}
		}
		return $keys;
	}

	/**
	 * Field rows, checked and completed.
	 *
	 * @param mixed    $value Input.
	 * @param string   $path  Field path.
	 * @param callable $fail  Adds a problem.
	 * @return array<int, array<string, mixed>>
	 */
	private static function field_rows( $value, string $path, callable $fail ): array {
		if ( ! is_array( $value ) || ! wp_is_numeric_array( $value ) || ! $value || count( $value ) > self::MAX_FIELDS ) {
			$fail( $path, __( 'fields must list 1 to 100 field rows (WordPress field, Salesforce field, direction).', 'usersync' ) );
			return array();
		}
		$rows     = array();
		$inbound  = array();
		$outbound = array();
		foreach ( array_values( $value ) as $index => $row ) {
			$at     = $path . '[' . $index . ']';
			$number = $index + 1;
			if ( ! is_array( $row ) ) {
				$fail( $at, __( 'Each field row must be an object.', 'usersync' ) );
				continue;
			}
			$out = array();
			foreach ( self::FIELD_DEFAULTS as $key => $default ) {
				$out[ $key ] = array_key_exists( $key, $row ) ? $row[ $key ] : $default;
			}
			$out['wp'] = is_string( $out['wp'] ) ? trim( $out['wp'] ) : '';
			$out['sf'] = is_string( $out['sf'] ) ? trim( $out['sf'] ) : '';

			// The WordPress side: a target the attribute map could write, never a role or capability.
			if ( '' === $out['wp'] ) {
				/* translators: %d: row number */
				$fail( $at . '[wp]', sprintf( __( 'Field row %d: choose the WordPress field.', 'usersync' ), $number ) );
			} elseif ( 'avatar' === $out['wp'] ) {
				/* translators: %d: row number */
				$fail( $at . '[wp]', sprintf( __( 'Field row %d: profile pictures are not synced with Salesforce.', 'usersync' ), $number ) );
			} else {
				$problem = Config::target_problem( $out['wp'] );
				if ( null !== $problem ) {
					/* translators: 1: row number, 2: what is wrong with the WordPress field */
					$fail( $at . '[wp]', sprintf( __( 'Field row %1$d: %2$s', 'usersync' ), $number, $problem[1] ) );
				}
			}
			if ( 1 !== preg_match( self::FIELD_NAME, $out['sf'] ) ) {
				/* translators: %d: row number */
				$fail( $at . '[sf]', sprintf( __( 'Field row %d: the Salesforce field must be an API name such as Email, Phone__c or MailingAddress.city.', 'usersync' ), $number ) );
			}
			if ( ! in_array( $out['direction'], Config::DIRECTIONS, true ) ) {
				/* translators: %d: row number */
				$fail( $at . '[direction]', sprintf( __( 'Field row %d: the direction must be inbound (Salesforce to WordPress), outbound (WordPress to Salesforce) or both.', 'usersync' ), $number ) );
			}
			if ( ! in_array( $out['transform'], self::TRANSFORMS, true ) ) {
				/* translators: 1: row number, 2: list of transforms */
				$fail( $at . '[transform]', sprintf( __( 'Field row %1$d: the transform must be one of %2$s.', 'usersync' ), $number, implode( ', ', self::TRANSFORMS ) ) );
			}
			if ( ! in_array( $out['nulls'], array( 'propagate', 'ignore' ), true ) ) {
				/* translators: %d: row number */
				$fail( $at . '[nulls]', sprintf( __( 'Field row %d: nulls must be propagate (clearing a value clears the other side) or ignore (empty values are not sent).', 'usersync' ), $number ) );
			}
			if ( null !== $out['default'] ) {
				if ( ! is_scalar( $out['default'] ) || strlen( (string) $out['default'] ) > 1000 ) {
					/* translators: %d: row number */
					$fail( $at . '[default]', sprintf( __( 'Field row %d: the default must be text of up to 1000 characters, or null.', 'usersync' ), $number ) );
				} else {
					$out['default'] = is_bool( $out['default'] ) ? ( $out['default'] ? 'true' : 'false' ) : (string) $out['default'];
				}
			}

			if ( 'template' === $out['transform'] ) {
				$problem = self::template_problem( $out['template'] );
				if ( null !== $problem ) {
					/* translators: 1: row number, 2: what is wrong */
					$fail( $at . '[template]', sprintf( __( 'Field row %1$d: %2$s', 'usersync' ), $number, $problem ) );
				}
				if ( 'inbound' !== $out['direction'] ) {
					/* translators: %d: row number */
					$fail( $at . '[direction]', sprintf( __( 'Field row %d: a value built from a template cannot be split back into Salesforce fields. Set the direction to inbound.', 'usersync' ), $number ) );
				}
			} elseif ( null !== $out['template'] ) {
				/* translators: %d: row number */
				$fail( $at . '[template]', sprintf( __( 'Field row %d: a template is only used with the transform "template". Remove it or choose that transform.', 'usersync' ), $number ) );
			}
			if ( 'picklist-map' === $out['transform'] ) {
				$map = $out['valueMap'];
				if ( ! is_array( $map ) || ! $map || wp_is_numeric_array( $map ) || count( $map ) > 500
					|| array_filter( $map, static fn( $v ): bool => ! is_string( $v ) || strlen( $v ) > 255 ) ) {
					/* translators: %d: row number */
					$fail( $at . '[valueMap]', sprintf( __( 'Field row %d: a picklist map needs valueMap, an object of up to 500 WordPress values each giving its Salesforce value.', 'usersync' ), $number ) );
				} else {
					$out['valueMap'] = array_map( 'strval', $map );
				}
			} elseif ( null !== $out['valueMap'] ) {
				/* translators: %d: row number */
				$fail( $at . '[valueMap]', sprintf( __( 'Field row %d: valueMap is only used with the transform "picklist-map". Remove it or choose that transform.', 'usersync' ), $number ) );
			}

			// Two rows writing one WordPress field, or one Salesforce field, would fight.
			$wp_key = strtolower( $out['wp'] );
			$sf_key = strtolower( $out['sf'] );
			if ( '' !== $wp_key && 'outbound' !== $out['direction'] ) {
				if ( isset( $inbound[ $wp_key ] ) ) {
					/* translators: 1: row number, 2: WordPress field, 3: the other row's number */
					$fail( $at . '[wp]', sprintf( __( 'Field row %1$d: "%2$s" is already filled from Salesforce by row %3$d. Map each WordPress field inbound once.', 'usersync' ), $number, $out['wp'], $inbound[ $wp_key ] ) );
				} else {
					$inbound[ $wp_key ] = $number;
				}
			}
			if ( '' !== $sf_key && 'inbound' !== $out['direction'] ) {
				if ( isset( $outbound[ $sf_key ] ) ) {
					/* translators: 1: row number, 2: Salesforce field, 3: the other row's number */
					$fail( $at . '[sf]', sprintf( __( 'Field row %1$d: "%2$s" is already written by row %3$d. Send each Salesforce field from one WordPress field.', 'usersync' ), $number, $out['sf'], $outbound[ $sf_key ] ) );
				} else {
					$outbound[ $sf_key ] = $number;
				}
			}
			$rows[] = $out;
		}
		return $rows;
	}

	/**
	 * Why a template (`{FirstName} {LastName}`) cannot be used, or null: every placeholder a
	 * Salesforce field API name, braces only around placeholders.
	 *
	 * @param mixed $template Template.
	 */
	private static function template_problem( $template ): ?string {
		if ( ! is_string( $template ) || '' === trim( $template ) ) {
			return __( 'enter the template, e.g. {FirstName} {LastName}.', 'usersync' );
		}
		if ( strlen( $template ) > Config::MAX_TEMPLATE_LENGTH ) {
			return __( 'the template is longer than 500 characters.', 'usersync' );
		}
		if ( ! preg_match_all( '/\{([^{}]*)\}/', $template, $matches ) ) {
			return __( 'the template names no Salesforce field. Put field names in braces, e.g. {FirstName} {LastName}.', 'usersync' );
		}
		if ( false !== strpbrk( (string) preg_replace( '/\{[^{}]*\}/', '', $template ), '{}' ) ) {
			return __( 'braces only surround Salesforce field names, each { closed by a } before the next {.', 'usersync' );
		}
		foreach ( $matches[1] as $name ) {
			if ( 1 !== preg_match( self::FIELD_NAME, trim( $name ) ) ) {
				/* translators: %s: placeholder */
				return sprintf( __( 'the placeholder {%s} is not a Salesforce field API name.', 'usersync' ), $name );
			}
		}
		return null;
	}
}
