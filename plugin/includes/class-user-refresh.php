<?php
/**
 * "Sync now" and "Push now" of chosen users: the Users screen's bulk action, the profile's
 * buttons and the Failed records' retries share this one rule of what each link allows.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Error;
use WP_REST_Response;

defined( 'ABSPATH' ) || exit;

/**
 * What each identity link of a user allows: a directory connection (Microsoft Graph) is asked
 * for the user again through the sidecar; a WordPress peer this site pushes to gets the user's
 * current state again; a SCIM connection (an identity provider or a peer pushing to this site)
 * cannot be pulled, which is said rather than pretended.
 */
class User_Refresh {

	/** Users per sidecar request (the sidecar's own limit). */
	public const CHUNK = 100;

	/** How long a push waits for the peer's answer (ms), within the relay's timeout. */
	private const PUSH_WAIT_MS = 20000;

	/**
	 * What a link allows: `pull` (directory connection), `push` (peer this site pushes to) or
	 * `none` (SCIM: the other side pushes).
	 *
	 * @param string $connection Connection slug.
	 */
	public static function kind_of( string $connection ): string {
		if ( null !== ( new Connections() )->get( $connection ) ) {
			return 'pull';
		}
		$peer = ( new Peers() )->stored()[ $connection ] ?? null;
		if ( is_array( $peer ) && Peers::pushes( $peer ) ) {
			return 'push';
		}
		return 'none';
	}

	/**
	 * Where this site pushes its users (slug ⇒ name), so where "Push now" can send a user:
	 * peers that receive pushes and enabled Salesforce connections with push on.
	 *
	 * @return array<string, string>
	 */
	public static function push_targets(): array {
		$targets = array();
		foreach ( ( new Peers() )->stored() as $slug => $peer ) {
			if ( Peers::pushes( $peer ) ) {
				$targets[ (string) $slug ] = (string) ( $peer['name'] ?? $slug );
			}
		}
		foreach ( ( new Connections() )->all() as $slug => $connection ) {
			if ( 'salesforce' === ( $connection['type'] ?? '' ) && ! empty( $connection['enabled'] ) && ! empty( $connection['settings']['push'] ) ) {
				$targets[ (string) $slug ] = (string) ( $connection['name'] ?? $slug );
			}
		}
		return $targets;
	}

	/**
	 * Syncs users from their sources now (or only from one connection).
	 *
	 * @param int[]       $user_ids   Users.
	 * @param string|null $connection Only this connection's links, or all of them.
	 * @return array{synced: int, skipped: int, failed: int, results: array<int, array{userId: int, login: string, outcome: string, connection: ?string, message: ?string}>}
	 */
	public function sync( array $user_ids, ?string $connection = null ): array {
		$user_ids = array_values( array_unique( array_filter( array_map( 'intval', $user_ids ) ) ) );
		$links    = Links::of_users( $user_ids );
		$names    = Connection::names();
		/** Per user: the outcomes of their links. @var array<int, array<int, array{outcome: string, connection: ?string, message: ?string}>> $outcomes */
		$outcomes = array_fill_keys( $user_ids, array() );
		/** External ids to pull, by connection, with their users. @var array<string, array<string, int>> $pulls */
		$pulls = array();

		foreach ( $user_ids as $user_id ) {
			if ( ! get_userdata( $user_id ) ) {
				$outcomes[ $user_id ][] = self::outcome( 'failed', null, __( 'No such user.', 'usersync' ) );
				continue;
			}
			$user_links = array_values(
				array_filter(
					$links[ $user_id ] ?? array(),
					static fn( array $link ): bool => null === $connection || $link['connection'] === $connection
				)
			);
			if ( ! $user_links ) {
				$outcomes[ $user_id ][] = self::outcome(
					'skipped',
					$connection,
					null === $connection ? __( 'Not linked to a source.', 'usersync' ) : __( 'Not linked to this connection.', 'usersync' )
				);
				continue;
			}
			foreach ( $user_links as $link ) {
				$slug = $link['connection'];
				$name = $names[ $slug ] ?? $slug;
				switch ( self::kind_of( $slug ) ) {
					case 'pull':
						if ( '' === $link['externalId'] ) {
							/* translators: %s: connection name */
							$outcomes[ $user_id ][] = self::outcome( 'skipped', $slug, sprintf( __( '%s: the link has no external id to look up.', 'usersync' ), $name ) );
						} else {
							$pulls[ $slug ][ $link['externalId'] ] = $user_id;
						}
						break;
					case 'push':
						$outcomes[ $user_id ][] = $this->push_outcome( $user_id, $slug, $name );
						break;
					default:
						$outcomes[ $user_id ][] = self::outcome(
							'skipped',
							$slug,
							/* translators: %s: connection name */
							sprintf( __( '%s is a SCIM connection: its identity provider pushes changes to this site, so it can\'t be pulled from here.', 'usersync' ), $name )
						);
				}
			}
		}

		foreach ( $pulls as $slug => $by_external ) {
			$name = $names[ $slug ] ?? $slug;
			foreach ( array_chunk( array_keys( $by_external ), self::CHUNK ) as $chunk ) {
				$chunk  = array_map( 'strval', $chunk );
				$answer = Plugin::sidecar()->relay(
					'POST',
					'/api/v1/sources/' . rawurlencode( $slug ) . '/users/sync',
					(object) array( 'externalIds' => $chunk ),
					60
				);
				if ( is_wp_error( $answer ) ) {
					foreach ( $chunk as $external_id ) {
						/* translators: 1: connection name, 2: error message */
						$outcomes[ $by_external[ $external_id ] ][] = self::outcome( 'failed', $slug, sprintf( __( '%1$s: %2$s', 'usersync' ), $name, $answer->get_error_message() ) );
					}
					continue;
				}
				$data = $answer->get_data();
				foreach ( (array) ( $data['results'] ?? array() ) as $result ) {
					$external_id = (string) ( $result['externalId'] ?? '' );
					if ( ! isset( $by_external[ $external_id ] ) ) {
						continue;
					}
					$outcomes[ $by_external[ $external_id ] ][] = self::pull_outcome( (array) $result, $slug, $name );
				}
			}
		}

		$summary = array(
			'synced'  => 0,
			'skipped' => 0,
			'failed'  => 0,
			'results' => array(),
		);
		foreach ( $outcomes as $user_id => $list ) {
			$user  = get_userdata( $user_id );
			$worst = self::worst( $list );
			++$summary[ $worst['outcome'] ];
			$summary['results'][] = array(
				'userId'     => (int) $user_id,
				'login'      => $user ? $user->user_login : '',
				'outcome'    => $worst['outcome'],
				'connection' => $worst['connection'],
				'message'    => $worst['message'],
			);
		}
		return $summary;
	}

	/**
	 * Syncs people of a directory connection by their external ids: the retry of a failure
	 * whose user WordPress never got (a refused create has no user to name).
	 *
	 * @param string   $connection   Directory connection slug.
	 * @param string[] $external_ids External ids (at most CHUNK).
	 * @return array{synced: int, skipped: int, failed: int, results: array<int, array<string, mixed>>}|WP_Error
	 */
	public function sync_external( string $connection, array $external_ids ) {
		if ( 'pull' !== self::kind_of( $connection ) ) {
			return new WP_Error(
				'usersync_cannot_pull',
				__( 'Only directory connections can be asked for a user again; SCIM connections and peers push their changes to this site.', 'usersync' ),
				array( 'status' => 409 )
			);
		}
		$names  = Connection::names();
		$name   = $names[ $connection ] ?? $connection;
		$answer = Plugin::sidecar()->relay(
			'POST',
			'/api/v1/sources/' . rawurlencode( $connection ) . '/users/sync',
			(object) array( 'externalIds' => array_values( array_map( 'strval', $external_ids ) ) ),
			60
		);
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		$summary = array(
			'synced'  => 0,
			'skipped' => 0,
			'failed'  => 0,
			'results' => array(),
		);
		foreach ( (array) ( $answer->get_data()['results'] ?? array() ) as $result ) {
			$outcome = self::pull_outcome( (array) $result, $connection, $name );
			++$summary[ $outcome['outcome'] ];
			$user                 = isset( $result['wpUserId'] ) ? get_userdata( (int) $result['wpUserId'] ) : false;
			$summary['results'][] = array(
				'userId'     => $user ? (int) $user->ID : null,
				'login'      => $user ? $user->user_login : (string) ( $result['login'] ?? $result['externalId'] ?? '' ),
				'externalId' => (string) ( $result['externalId'] ?? '' ),
			) + $outcome;
		}
		return $summary;
	}

	/**
	 * Delivers a user's current state to a push target (a peer, or Salesforce) now.
	 *
	 * @param int    $user_id User.
	 * @param string $target  Target slug.
	 * @return array{outcome: string, connection: ?string, message: ?string}|WP_Error
	 */
	public function push( int $user_id, string $target ) {
		if ( ! get_userdata( $user_id ) ) {
			return new WP_Error( 'usersync_user_not_found', __( 'No such user.', 'usersync' ), array( 'status' => 404 ) );
		}
		$targets = self::push_targets();
		if ( ! isset( $targets[ $target ] ) ) {
			return new WP_Error( 'usersync_target_not_found', __( 'No peer or Salesforce connection with this slug receives pushes from this site.', 'usersync' ), array( 'status' => 404 ) );
		}
		return $this->push_outcome( $user_id, $target, $targets[ $target ] );
	}

	/**
	 * Pushes one user to one target and says how it went.
	 *
	 * @param int    $user_id User.
	 * @param string $slug    Target slug.
	 * @param string $name    Target name.
	 * @return array{outcome: string, connection: ?string, message: ?string}
	 */
	private function push_outcome( int $user_id, string $slug, string $name ): array {
		$answer = Plugin::sidecar()->relay(
			'POST',
			'/api/v1/targets/' . rawurlencode( $slug ) . '/users/' . $user_id . '/push?wait=' . self::PUSH_WAIT_MS,
			new \stdClass(),
			30
		);
		if ( is_wp_error( $answer ) ) {
			/* translators: 1: target name, 2: error message */
			return self::outcome( 'failed', $slug, sprintf( __( '%1$s: %2$s', 'usersync' ), $name, $answer->get_error_message() ) );
		}
		$data  = $answer instanceof WP_REST_Response ? (array) $answer->get_data() : array();
		$state = (string) ( $data['state'] ?? '' );
		if ( 'failed' === $state ) {
			/* translators: 1: target name, 2: error message */
			return self::outcome( 'failed', $slug, sprintf( __( '%1$s: %2$s', 'usersync' ), $name, (string) ( $data['error'] ?? __( 'the push failed', 'usersync' ) ) ) );
		}
		if ( 'succeeded' !== $state ) {
			/* translators: %s: target name */
			return self::outcome( 'synced', $slug, sprintf( __( '%s: the push is queued and will be delivered shortly.', 'usersync' ), $name ) );
		}
		$status   = (string) ( $data['status'] ?? '' );
		$messages = array(
			/* translators: %s: target name */
			'created'   => __( '%s: created.', 'usersync' ),
			/* translators: %s: target name */
			'updated'   => __( '%s: updated.', 'usersync' ),
			/* translators: %s: target name */
			'unchanged' => __( '%s: already up to date.', 'usersync' ),
			/* translators: %s: target name */
			'deleted'   => __( '%s: removed.', 'usersync' ),
			/* translators: %s: target name */
			'excluded'  => __( '%s: not sent (administrators and excluded users stay on this site).', 'usersync' ),
		);
		if ( 'excluded' === $status ) {
			return self::outcome( 'skipped', $slug, sprintf( $messages['excluded'], $name ) );
		}
		return self::outcome( 'synced', $slug, sprintf( $messages[ $status ] ?? $messages['updated'], $name ) );
	}

	/**
	 * The outcome of one user of a sidecar pull.
	 *
	 * @param array<string, mixed> $result The sidecar's result for the user.
	 * @param string               $slug   Connection slug.
	 * @param string               $name   Connection name.
	 * @return array{outcome: string, connection: ?string, message: ?string}
	 */
	private static function pull_outcome( array $result, string $slug, string $name ): array {
		switch ( (string) ( $result['outcome'] ?? '' ) ) {
			case 'created':
			case 'updated':
				/* translators: %s: connection name */
				return self::outcome( 'synced', $slug, sprintf( __( '%s: updated from the source.', 'usersync' ), $name ) );
			case 'unchanged':
				/* translators: %s: connection name */
				return self::outcome( 'synced', $slug, sprintf( __( '%s: already up to date.', 'usersync' ), $name ) );
			case 'not_found':
				/* translators: %s: connection name */
				return self::outcome( 'skipped', $slug, sprintf( __( '%s no longer has this user; the next sync deprovisions them.', 'usersync' ), $name ) );
			default:
				/* translators: 1: connection name, 2: error message */
				return self::outcome( 'failed', $slug, sprintf( __( '%1$s: %2$s', 'usersync' ), $name, (string) ( $result['message'] ?? __( 'the write failed', 'usersync' ) ) ) );
		}
	}

	/**
	 * One outcome.
	 *
	 * @param string      $outcome    synced, skipped or failed.
	 * @param string|null $connection Connection slug.
	 * @param string|null $message    Why.
	 * @return array{outcome: string, connection: ?string, message: ?string}
	 */
	private static function outcome( string $outcome, ?string $connection, ?string $message ): array {
		return array(
			'outcome'    => $outcome,
			'connection' => $connection,
			'message'    => $message,
		);
	}

	/**
	 * A user's outcome over all their links: failed beats synced beats skipped (a user synced
	 * from one source and not pullable from another was synced).
	 *
	 * @param array<int, array{outcome: string, connection: ?string, message: ?string}> $list Outcomes.
	 * @return array{outcome: string, connection: ?string, message: ?string}
	 */
	private static function worst( array $list ): array {
		foreach ( array( 'failed', 'synced', 'skipped' ) as $outcome ) {
			$matching = array_values( array_filter( $list, static fn( array $o ): bool => $o['outcome'] === $outcome ) );
			if ( $matching ) {
				$first            = $matching[0];
				$first['message'] = implode( ' ', array_filter( array_column( $matching, 'message' ) ) );
				return $first;
			}
		}
		return self::outcome( 'skipped', null, __( 'Not linked to a source.', 'usersync' ) );
	}
}
