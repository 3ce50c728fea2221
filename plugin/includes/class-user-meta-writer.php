<?php
/**
 * User meta writes of the user writer.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The meta seam of the user writer: writes that fail loudly when WordPress did not store
 * them, UserSync's private meta of a new user in one query, and the fast path that lets
 * wp_insert_user() add a new user's first meta without looking for rows it cannot have.
 */
final class User_Meta_Writer {

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
	 * Creates a user with wp_insert_user() (data unslashed), its first meta through the fast
	 * path (see insert_fresh_meta()).
	 *
	 * @param array<string, mixed> $userdata User data.
	 * @return int|\WP_Error The new user's id.
	 */
	public function insert_user( array $userdata ) {
		add_filter( 'insert_custom_user_meta', array( $this, 'on_insert_custom_user_meta' ), PHP_INT_MAX, 3 );
		add_filter( 'update_user_metadata', array( $this, 'insert_fresh_meta' ), PHP_INT_MAX, 5 );
		add_action( 'clean_user_cache', array( $this, 'end_fresh_meta' ), PHP_INT_MIN, 0 );
		try {
			return wp_insert_user( wp_slash( $userdata ) );
		} finally {
			remove_filter( 'insert_custom_user_meta', array( $this, 'on_insert_custom_user_meta' ), PHP_INT_MAX );
			remove_filter( 'update_user_metadata', array( $this, 'insert_fresh_meta' ), PHP_INT_MAX );
			remove_action( 'clean_user_cache', array( $this, 'end_fresh_meta' ), PHP_INT_MIN );
			$this->end_fresh_meta();
		}
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
	public static function write_meta( int $user_id, string $key, $value ): void {
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
	 * Whether a stored meta value equals an input value (WordPress stores scalars as strings).
	 *
	 * @param mixed $stored Stored value.
	 * @param mixed $input  Input value.
	 */
	public static function same_meta( $stored, $input ): bool {
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
	public static function add_private_meta( int $user_id, array $meta ): void {
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
	public static function json( array $value ): string {
		return $value ? (string) wp_json_encode( $value ) : '{}';
	}
}
