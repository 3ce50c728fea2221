<?php
/**
 * Profile pictures an identity provider gives as a URL (SCIM `photos`).
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Comment;
use WP_Post;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The user meta `usersync_avatar_url` holds the picture's address as the identity provider
 * sent it; `pre_get_avatar_data` serves it as the user's avatar (get_avatar_url(), the REST
 * API's avatar_urls, comment avatars) instead of Gravatar. A picture stored as a file by a
 * sync (Avatars) comes first.
 */
class Avatar_Urls {

	public const META = 'usersync_avatar_url';

	/** Longest URL accepted. */
	public const MAX_LENGTH = 2048;

	/**
	 * The URL a user's avatar comes from, or null.
	 *
	 * @param int $user_id User id.
	 */
	public static function get( int $user_id ): ?string {
		$url = (string) get_user_meta( $user_id, self::META, true );
		return '' === $url ? null : $url;
	}

	/**
	 * The URL to store for an input, '' for an input that removes the picture, or null when
	 * the input is not an http(s) URL.
	 *
	 * @param string $url Input.
	 */
	public static function normalize( string $url ): ?string {
		$url = trim( $url );
		if ( '' === $url ) {
			return '';
		}
		$clean = esc_url_raw( $url, array( 'http', 'https' ) );
		if ( '' === $clean || ! wp_parse_url( $clean, PHP_URL_HOST ) || strlen( $clean ) > self::MAX_LENGTH ) {
			return null;
		}
		return $clean;
	}

	/**
	 * `pre_get_avatar_data` (after other sources): the URL, when the user has one.
	 *
	 * @param array<string, mixed> $args        Avatar arguments.
	 * @param mixed                $id_or_email User id, email, WP_User, WP_Post or WP_Comment.
	 * @return array<string, mixed>
	 */
	public static function filter_avatar_data( $args, $id_or_email ) {
		if ( ! is_array( $args ) || ! empty( $args['url'] ) ) {
			return $args;
		}
		$user_id = self::user_id( $id_or_email );
		$url     = $user_id ? self::get( $user_id ) : null;
		if ( null !== $url ) {
			$args['url']          = $url;
			$args['found_avatar'] = true;
		}
		return $args;
	}

	/**
	 * The user an avatar request is about.
	 *
	 * @param mixed $id_or_email What get_avatar_data() was given.
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
}
