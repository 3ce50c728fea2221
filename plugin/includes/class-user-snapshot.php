<?php
/**
 * The user snapshot: one user as a connection sees it.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Builds user snapshots for one connection. Lists are built with a fixed number of
 * queries whatever their length: users and all their meta are primed in two queries
 * (`cache_users()`), group memberships in one.
 */
class User_Snapshot {

	/**
	 * Connection asked about, or null.
	 *
	 * @var string|null
	 */
	private ?string $connection;

	/**
	 * Meta keys named by the attribute map: part of every snapshot and of its version.
	 *
	 * @var string[]
	 */
	private array $mapped_meta_keys;

	/**
	 * Further meta keys asked for (`meta_keys=`): shown, but not part of the version, so a
	 * user's version is the same whichever extra keys a caller asks for.
	 *
	 * @var string[]
	 */
	private array $extra_meta_keys;

	/**
	 * BuddyPress profile fields named by the attribute map (`xprofile:<Field Name>`).
	 *
	 * @var string[]
	 */
	private array $xprofile_fields = array();

	/**
	 * Group memberships by user id, filled by prime().
	 *
	 * @var array<int, array<int, array{id: int, displayName: string}>>
	 */
	private array $groups = array();

	/**
	 * Constructor.
	 *
	 * @param string|null $connection      Connection slug or null.
	 * @param string[]    $extra_meta_keys Additional meta keys to show.
	 */
	public function __construct( ?string $connection, array $extra_meta_keys = array() ) {
		$this->connection       = $connection;
		$this->mapped_meta_keys = Plugin::config()->mapped_meta_keys();
		$this->extra_meta_keys  = array_values( array_diff( array_unique( $extra_meta_keys ), $this->mapped_meta_keys ) );
		foreach ( Plugin::config()->get()['attributeMap'] as $item ) {
			$field = Xprofile::field_of_target( (string) $item['target'] );
			if ( null !== $field ) {
				$this->xprofile_fields[] = $field;
			}
		}
		$this->xprofile_fields = array_values( array_unique( $this->xprofile_fields ) );
	}

	/**
	 * Loads users, their meta and their groups for the ids not loaded yet.
	 *
	 * @param int[] $ids User ids.
	 */
	public function prime( array $ids ): void {
		$ids = array_values( array_unique( array_filter( array_map( 'intval', $ids ) ) ) );
		if ( ! $ids ) {
			return;
		}
		cache_users( $ids );
		$missing = array_values( array_diff( $ids, array_keys( $this->groups ) ) );
		if ( $missing ) {
			$this->groups = Plugin::groups()->groups_of_users( $missing, $this->connection ) + $this->groups;
		}
	}

	/**
	 * Drops what prime() knows about a user (it was just changed).
	 *
	 * @param int $id User id.
	 */
	public function forget( int $id ): void {
		unset( $this->groups[ $id ] );
	}

	/**
	 * Snapshots of several users, in the order of the ids; unknown ids are left out.
	 *
	 * @param int[] $ids User ids.
	 * @return array<int, array<string, mixed>> By user id.
	 */
	public function build_many( array $ids ): array {
		$this->prime( $ids );
		$result = array();
		foreach ( $ids as $id ) {
			$user = get_userdata( (int) $id );
			if ( $user ) {
				$result[ (int) $id ] = $this->build( $user );
			}
		}
		return $result;
	}

	/**
	 * Snapshot of one user.
	 *
	 * @param WP_User $user User.
	 * @return array<string, mixed>
	 */
	public function build( WP_User $user ): array {
		$id = (int) $user->ID;
		if ( ! isset( $this->groups[ $id ] ) ) {
			$this->prime( array( $id ) );
		}

		$external_id = null;
		$linked      = false;
		$scim        = null;
		if ( null !== $this->connection ) {
			$link_values = get_user_meta( $id, Connection::link_key( $this->connection ), false );
			if ( $link_values ) {
				$linked      = true;
				$external_id = '' === (string) $link_values[0] ? null : (string) $link_values[0];
			}
			$stored = get_user_meta( $id, Connection::scim_key( $this->connection ), true );
			if ( is_string( $stored ) && '' !== $stored ) {
				// Decoded to objects so that empty JSON objects stay objects.
				$decoded = json_decode( $stored );
				$scim    = is_object( $decoded ) ? $decoded : null;
			}
		}

		$registered = self::iso( (string) $user->user_registered );
		$modified   = (string) get_user_meta( $id, 'usersync_modified', true );
		$created_by = (string) get_user_meta( $id, 'usersync_created_by', true );

		$meta = array();
		foreach ( $this->mapped_meta_keys as $key ) {
			$meta[ $key ] = self::meta_value( $id, $key );
		}

		$snapshot = array(
			'id'          => $id,
			'login'       => (string) $user->user_login,
			'email'       => (string) $user->user_email,
			'firstName'   => self::text( (string) $user->first_name ),
			'lastName'    => self::text( (string) $user->last_name ),
			'displayName' => self::text( (string) $user->display_name ),
			'nickname'    => self::text( (string) $user->nickname ),
			'url'         => (string) $user->user_url,
			'description' => self::text( (string) $user->description ),
			'avatarUrl'   => Avatar_Urls::get( $id ),
			'roles'       => array_values( $user->roles ),
			'active'      => ! Login_Guard::is_disabled( $id ),
			'registered'  => $registered,
			'modified'    => '' === $modified ? $registered : $modified,
			'version'     => '',
			'connection'  => $this->connection,
			'externalId'  => $external_id,
			'linked'      => $linked,
			'createdBy'   => '' === $created_by ? null : $created_by,
			'groups'      => $this->groups[ $id ] ?? array(),
			'scim'        => $scim,
			'meta'        => $meta,
		);

		// The login the connection asked for when WordPress kept another (see User_Writer):
		// shown only when there is one, so other users' versions stay as they were.
		if ( null !== $this->connection ) {
			$source_login = get_user_meta( $id, Connection::source_login_key( $this->connection ), false );
			if ( $source_login && '' !== (string) $source_login[0] ) {
				$snapshot['sourceLogin'] = (string) $source_login[0];
			}
		}

		if ( $this->xprofile_fields ) {
			$xprofile = array();
			foreach ( $this->xprofile_fields as $field ) {
				$xprofile[ $field ] = Xprofile::get( $id, $field );
			}
			$snapshot['xprofile'] = $xprofile;
		}

		$snapshot['version'] = self::version( $snapshot );

		foreach ( $this->extra_meta_keys as $key ) {
			$snapshot['meta'][ $key ] = self::meta_value( $id, $key );
		}
		if ( ! $snapshot['meta'] ) {
			$snapshot['meta'] = new \stdClass(); // Always a JSON object.
		}
		return $snapshot;
	}

	/**
	 * The weak ETag of a snapshot: first 16 hex of SHA-1 over its other fields.
	 *
	 * @param array<string, mixed> $snapshot Snapshot.
	 */
	public static function version( array $snapshot ): string {
		unset( $snapshot['version'] );
		if ( is_array( $snapshot['meta'] ) ) {
			ksort( $snapshot['meta'] );
		}
		return 'W/"' . substr( sha1( (string) wp_json_encode( $snapshot ) ), 0, 16 ) . '"';
	}

	/**
	 * A meta value as JSON shows it: null when absent.
	 *
	 * @param int    $id  User id.
	 * @param string $key Meta key.
	 * @return mixed
	 */
	private static function meta_value( int $id, string $key ) {
		$values = get_user_meta( $id, $key, false );
		return $values ? $values[0] : null;
	}

	/**
	 * Profile text as entered: WordPress stores names with & < > escaped.
	 *
	 * @param string $value Stored value.
	 */
	public static function text( string $value ): string {
		return wp_specialchars_decode( $value, ENT_QUOTES );
	}

	/**
	 * ISO-8601 UTC from a DATETIME in UTC.
	 *
	 * @param string $datetime 'Y-m-d H:i:s'.
	 */
	private static function iso( string $datetime ): string {
		return str_replace( ' ', 'T', $datetime ) . 'Z';
	}
}
