<?php
/**
 * Profile pictures brought by a sync (e.g. Microsoft Graph photos).
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Comment;
use WP_Post;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * Stores a synced picture under uploads/usersync-avatars/ and serves it as the user's avatar
 * through `pre_get_avatar_data`, instead of Gravatar. The user meta `usersync_avatar` records
 * the file, its version (the source's photo ETag) and the connection that set it.
 */
class Avatars {

	public const META     = 'usersync_avatar';
	public const MAX_SIZE = 5242880;

	private const TYPES = array(
		'image/jpeg' => 'jpg',
		'image/png'  => 'png',
		'image/gif'  => 'gif',
		'image/webp' => 'webp',
	);

	/**
	 * The stored avatar of a user.
	 *
	 * @param int $user_id User id.
	 * @return array{file: string, version: string, connection: string, contentType: string}|null
	 */
	public static function get( int $user_id ): ?array {
		$stored = get_user_meta( $user_id, self::META, true );
		return is_array( $stored ) && isset( $stored['file'], $stored['version'] ) ? $stored : null;
	}

	/**
	 * Stores a picture as the user's avatar.
	 *
	 * @param int    $user_id    User id.
	 * @param string $bytes      Image bytes.
	 * @param string $version    Source version of the picture.
	 * @param string $connection Connection slug.
	 * @return string|\WP_Error 'updated' or 'unchanged'.
	 */
	public static function set( int $user_id, string $bytes, string $version, string $connection ) {
		$current = self::get( $user_id );
		if ( $current && $current['version'] === $version && is_file( self::dir()['path'] . '/' . $current['file'] ) ) {
			return 'unchanged';
		}
		if ( strlen( $bytes ) > self::MAX_SIZE ) {
			return new \WP_Error( 'usersync_avatar_too_large', __( 'The picture is larger than 5 MB.', 'usersync' ), array( 'status' => 413 ) );
		}
		$info = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors.Discouraged -- not an image is an answer, not a warning.
		$mime = is_array( $info ) ? (string) $info['mime'] : '';
		if ( ! isset( self::TYPES[ $mime ] ) ) {
			return new \WP_Error( 'usersync_avatar_invalid', __( 'The picture is not a JPEG, PNG, GIF or WebP image.', 'usersync' ), array( 'status' => 400 ) );
		}
		$dir = self::dir();
		if ( ! wp_mkdir_p( $dir['path'] ) ) {
			return new \WP_Error( 'usersync_avatar_storage', __( 'The uploads folder is not writable.', 'usersync' ), array( 'status' => 500 ) );
		}
		$file = sprintf( '%d-%s.%s', $user_id, substr( sha1( $bytes ), 0, 12 ), self::TYPES[ $mime ] );
		// phpcs:ignore WordPress.WP.AlternativeFunctions.file_system_operations_file_put_contents
		if ( false === file_put_contents( $dir['path'] . '/' . $file, $bytes ) ) {
			return new \WP_Error( 'usersync_avatar_storage', __( 'The picture could not be written to the uploads folder.', 'usersync' ), array( 'status' => 500 ) );
		}
		if ( $current && $current['file'] !== $file ) {
			wp_delete_file( $dir['path'] . '/' . $current['file'] );
		}
		// Meta values are unslashed on save; slash them so versions like W/"…" survive.
		update_user_meta(
			$user_id,
			self::META,
			wp_slash(
				array(
					'file'        => $file,
					'version'     => $version,
					'connection'  => $connection,
					'contentType' => $mime,
				)
			)
		);
		return 'updated';
	}

	/**
	 * Removes a synced avatar (the source has no picture any more).
	 *
	 * @param int $user_id User id.
	 * @return string 'removed' or 'unchanged'.
	 */
	public static function remove( int $user_id ): string {
		$current = self::get( $user_id );
		if ( ! $current ) {
			return 'unchanged';
		}
		wp_delete_file( self::dir()['path'] . '/' . $current['file'] );
		delete_user_meta( $user_id, self::META );
		return 'removed';
	}

	/**
	 * `pre_get_avatar_data`: the synced picture, when the user has one.
	 *
	 * @param array<string, mixed> $args        Avatar arguments.
	 * @param mixed                $id_or_email User id, email, WP_User, WP_Post or WP_Comment.
	 * @return array<string, mixed>
	 */
	public static function filter_avatar_data( $args, $id_or_email ) {
		$user_id = self::user_id( $id_or_email );
		$avatar  = $user_id ? self::get( $user_id ) : null;
		if ( $avatar ) {
			$args['url']          = self::dir()['url'] . '/' . rawurlencode( $avatar['file'] );
			$args['found_avatar'] = true;
		}
		return $args;
	}

	/**
	 * Deletes the file of a user being deleted.
	 *
	 * @param int $user_id User id.
	 */
	public static function on_delete_user( $user_id ): void {
		self::remove( (int) $user_id );
	}

	/**
	 * The user an avatar request is about.
	 *
	 * @param mixed $id_or_email What get_avatar() was given.
	 */
	private static function user_id( $id_or_email ): int {
		if ( is_numeric( $id_or_email ) ) {
			return (int) $id_or_email;
		}
		if ( $id_or_email instanceof WP_User ) {
			return (int) $id_or_email->ID;
		}
		if ( $id_or_email instanceof WP_Post ) {
			return (int) $id_or_email->post_author;
		}
		if ( $id_or_email instanceof WP_Comment ) {
			return (int) $id_or_email->user_id;
		}
		if ( is_string( $id_or_email ) && is_email( $id_or_email ) ) {
			$user = get_user_by( 'email', $id_or_email );
			return $user ? (int) $user->ID : 0;
		}
		return 0;
	}

	/**
	 * Folder and URL of synced pictures.
	 *
	 * @return array{path: string, url: string}
	 */
	private static function dir(): array {
		$uploads = wp_upload_dir( null, false );
		return array(
			'path' => $uploads['basedir'] . '/usersync-avatars',
			'url'  => $uploads['baseurl'] . '/usersync-avatars',
		);
	}
}
