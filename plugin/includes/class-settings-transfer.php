<?php
/**
 * Settings export and import: the site's UserSync settings as one JSON file, without secrets.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * The file holds the configuration (attribute map, login renames, role map, deprovisioning, audit retention),
 * the connections (settings and schedules) and the WordPress peers. It never holds a secret:
 * client secrets, private keys, refresh tokens, peer tokens and SCIM tokens stay on the site
 * that has them.
 *
 * An import is checked whole by the same rules as the settings page (Config, Connections,
 * Peers) before anything is written, and written in one database transaction: all of it or
 * nothing. Connections and peers in the file are added or updated by slug (secrets kept);
 * those not in the file stay as they are. A connection new to this site arrives disabled,
 * until its client secret is entered; a new peer that would push arrives with push off,
 * until its token is entered.
 */
class Settings_Transfer {

	/** Names the file's format. */
	public const FORMAT  = 'usersync-settings';
	public const VERSION = 1;

	/** Parts of `settings` that belong to Config. */
	private const CONFIG_PARTS = array( 'attributeMap', 'renameLogins', 'roleMap', 'deprovision', 'audit' );

	/**
	 * The export file.
	 *
	 * @return array<string, mixed>
	 */
	public function export(): array {
		$config      = Plugin::config()->get();
		$connections = array();
		foreach ( ( new Connections() )->all() as $connection ) {
			$public = Connections::to_public( $connection );
			foreach ( Connections::secret_names( (string) $connection['type'] ) as $secret ) {
				unset( $public[ $secret ] );
			}
			unset( $public['createdAt'], $public['modifiedAt'] );
			$connections[] = $public;
		}
		$peers = array();
		foreach ( ( new Peers() )->public_list() as $peer ) {
			unset( $peer['tokenSet'], $peer['createdAt'], $peer['modifiedAt'] );
			$peers[] = $peer;
		}
		return array(
			'format'        => self::FORMAT,
			'version'       => self::VERSION,
			'exportedAt'    => gmdate( 'Y-m-d\TH:i:s\Z' ),
			'site'          => home_url(),
			'pluginVersion' => USERSYNC_VERSION,
			'settings'      => array_intersect_key( $config, array_flip( self::CONFIG_PARTS ) ) + array(
				'connections' => $connections,
				'peers'       => $peers,
			),
		);
	}

	/**
	 * Checks a file and says what importing it would do; nothing is written.
	 *
	 * @param mixed $file The decoded file.
	 * @return array<string, mixed>|WP_Error The plan: `summary` for the admin, the rest for apply().
	 */
	public function plan( $file ) {
		if ( ! Json::is_object( $file ) || self::FORMAT !== ( $file['format'] ?? null ) ) {
			return self::invalid( array( 'format' => __( 'This is not a UserSync settings file (its "format" is not "usersync-settings").', 'usersync' ) ) );
		}
		if ( self::VERSION !== ( $file['version'] ?? null ) ) {
			/* translators: %d: supported file version */
			return self::invalid( array( 'version' => sprintf( __( 'This settings file has a version this plugin cannot read (it reads version %d).', 'usersync' ), self::VERSION ) ) );
		}
		$settings = $file['settings'] ?? null;
		if ( ! Json::is_object( $settings ) ) {
			return self::invalid( array( 'settings' => __( 'The file has no "settings" object.', 'usersync' ) ) );
		}
		$known   = array_merge( self::CONFIG_PARTS, array( 'connections', 'peers' ) );
		$unknown = array_diff( array_keys( $settings ), $known );
		if ( $unknown ) {
			$params = array();
			foreach ( $unknown as $key ) {
				/* translators: %s: key in the file */
				$params[ (string) $key ] = sprintf( __( '"%s" is not a UserSync setting.', 'usersync' ), $key );
			}
			return self::invalid( $params );
		}

		$params = array();

		// Configuration: the settings page's own checks, all parts in the file at once.
		$config_parts = array_intersect_key( $settings, array_flip( self::CONFIG_PARTS ) );
		if ( $config_parts ) {
			$candidate = Plugin::config()->candidate( $config_parts );
			if ( is_wp_error( $candidate ) ) {
				$params += self::params_of( $candidate );
			}
		}

		// Connections: added or updated by slug.
		$connections = null;
		if ( array_key_exists( 'connections', $settings ) ) {
			$connections = is_array( $settings['connections'] ) && Json::is_list( $settings['connections'] )
				? ( new Connections() )->prepare_import( $settings['connections'] )
				: self::invalid( array( 'connections' => __( 'connections must be a list.', 'usersync' ) ) );
			if ( is_wp_error( $connections ) ) {
				$params += self::params_of( $connections );
			}
		}

		// Peers: added or updated by slug, tokens kept; the stored list is the base.
		$peer_list  = null;
		$peer_notes = array();
		if ( array_key_exists( 'peers', $settings ) ) {
			$merged = self::merge_peers( $settings['peers'], $peer_notes );
			if ( is_wp_error( $merged ) ) {
				$params += self::params_of( $merged );
			} else {
				$prepared = ( new Peers() )->prepare( $merged['list'] );
				if ( is_wp_error( $prepared ) ) {
					$params += self::params_of( $prepared );
				} else {
					$peer_list = $merged;
				}
			}
		}

		if ( $params ) {
			return self::invalid( $params );
		}

		$summary = array(
			'source'      => array(
				'site'          => is_string( $file['site'] ?? null ) ? $file['site'] : null,
				'exportedAt'    => is_string( $file['exportedAt'] ?? null ) ? $file['exportedAt'] : null,
				'pluginVersion' => is_string( $file['pluginVersion'] ?? null ) ? $file['pluginVersion'] : null,
			),
			'config'      => array_keys( $config_parts ),
			'connections' => $connections ? array(
				'created' => $connections['created'],
				'updated' => $connections['updated'],
			) : array(
				'created' => array(),
				'updated' => array(),
			),
			'peers'       => $peer_list ? array(
				'created' => $peer_list['created'],
				'updated' => $peer_list['updated'],
			) : array(
				'created' => array(),
				'updated' => array(),
			),
			'notes'       => array_merge( $connections['notes'] ?? array(), $peer_notes ),
		);
		return array(
			'summary'     => $summary,
			'config'      => $config_parts,
			'connections' => $connections ? $connections['all'] : null,
			'peers'       => $peer_list ? $peer_list['list'] : null,
		);
	}

	/**
	 * Writes a plan made by plan(), in one transaction.
	 *
	 * @param array<string, mixed> $plan Plan.
	 * @return true|WP_Error
	 */
	public function apply( array $plan ) {
		$transaction = new Transaction();
		$partial     = $plan['config'];
		if ( null !== $plan['peers'] ) {
			$partial['peers'] = $plan['peers'];
		}
		try {
			$transaction->begin();
			if ( null !== $plan['connections'] ) {
				( new Connections() )->replace_all( $plan['connections'] );
			}
			if ( $partial ) {
				$saved = Plugin::config()->update( $partial );
				if ( is_wp_error( $saved ) ) {
					$transaction->rollback();
					self::forget_options();
					return $saved;
				}
			}
			$transaction->commit();
		} catch ( Operation_Error $error ) {
			$transaction->rollback();
			self::forget_options();
			return new WP_Error( $error->error_code, $error->getMessage(), array( 'status' => 503 === $error->status ? 503 : 500 ) );
		}
		return true;
	}

	/**
	 * The file's peers laid over the stored ones (by slug), as input for Peers::prepare().
	 *
	 * @param mixed    $input Peers of the file.
	 * @param string[] $notes What the admin must still do (filled in).
	 * @return array{list: array<int, array<string, mixed>>, created: string[], updated: string[]}|WP_Error
	 */
	private static function merge_peers( $input, array &$notes ) {
		if ( ! is_array( $input ) || ! Json::is_list( $input ) ) {
			return self::invalid( array( 'peers' => __( 'peers must be a list.', 'usersync' ) ) );
		}
		$peers  = new Peers();
		$stored = $peers->stored();
		// The file's peers first and in its order, so Peers' errors (peers[<index>]) point into
		// the file; then the stored peers the file does not name, as they are.
		$list    = array();
		$created = array();
		$updated = array();
		foreach ( array_values( $input ) as $index => $item ) {
			if ( ! Json::is_object( $item ) ) {
				return self::invalid( array( 'peers[' . $index . ']' => __( 'Each peer must be an object.', 'usersync' ) ) );
			}
			// A file never carries a token; one in it is refused rather than stored unasked.
			if ( array_key_exists( 'token', $item ) ) {
				return self::invalid( array( 'peers[' . $index . '][token]' => __( 'A settings file carries no tokens; enter the peer\'s token on the Peers tab.', 'usersync' ) ) );
			}
			unset( $item['tokenSet'], $item['createdAt'], $item['modifiedAt'] );
			$slug      = isset( $item['slug'] ) ? (string) $item['slug'] : '';
			$has_token = isset( $stored[ $slug ]['token'] ) && '' !== (string) $stored[ $slug ]['token'];
			if ( ! $has_token && ( $item['push'] ?? true ) && ! empty( $item['scimUrl'] ) ) {
				$item['push'] = false;
				/* translators: %s: peer slug */
				$notes[] = sprintf( __( 'Peer "%s" arrives with push off: enter the token it issued to this site, then turn push on.', 'usersync' ), $slug );
			}
			if ( isset( $stored[ $slug ] ) ) {
				$updated[] = $slug;
			} else {
				$created[] = $slug;
			}
			$list[] = $item;
		}
		$named = array_map( static fn( array $item ): string => (string) ( $item['slug'] ?? '' ), $list );
		foreach ( $peers->public_list() as $peer ) {
			if ( ! in_array( $peer['slug'], $named, true ) ) {
				unset( $peer['tokenSet'], $peer['createdAt'], $peer['modifiedAt'] );
				$list[] = $peer;
			}
		}
		return array(
			'list'    => $list,
			'created' => $created,
			'updated' => $updated,
		);
	}

	/**
	 * Field errors of an error: its `params`, or its `field`, or the whole file.
	 *
	 * @param WP_Error $error Error.
	 * @return array<string, string>
	 */
	private static function params_of( WP_Error $error ): array {
		$data = $error->get_error_data();
		if ( is_array( $data ) && ! empty( $data['params'] ) && is_array( $data['params'] ) ) {
			return array_map( 'strval', $data['params'] );
		}
		$field = is_array( $data ) && isset( $data['field'] ) ? (string) $data['field'] : 'settings';
		return array( $field => $error->get_error_message() );
	}

	/**
	 * A 400 listing every field error; nothing was written.
	 *
	 * @param array<string, string> $params Field errors keyed by their path in `settings`.
	 */
	private static function invalid( array $params ): WP_Error {
		return new WP_Error(
			'usersync_invalid_import',
			(string) reset( $params ),
			array(
				'status' => 400,
				'params' => $params,
			)
		);
	}

	/**
	 * After a rollback the options cache may hold values the database no longer has.
	 */
	private static function forget_options(): void {
		foreach ( array( Config::OPTION, Connections::OPTION, Peers::OPTION ) as $option ) {
			wp_cache_delete( $option, 'options' );
		}
		wp_cache_delete( 'alloptions', 'options' );
		wp_cache_delete( 'notoptions', 'options' );
	}
}
