<?php
/**
 * BuddyPress extended profile fields as attribute map targets (`xprofile:<Field Name>`).
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * The one place that talks to BuddyPress's xprofile API. Every call is guarded: without
 * BuddyPress (or with its Extended Profiles component off) nothing here touches it, the
 * configuration refuses `xprofile:` targets and the batch route refuses `xprofile` values.
 */
final class Xprofile {

	public const TARGET_PREFIX = 'xprofile:';

	/**
	 * Whether BuddyPress's Extended Profiles component is active.
	 */
	public static function is_available(): bool {
		return function_exists( 'xprofile_set_field_data' )
			&& function_exists( 'xprofile_get_field_id_from_name' )
			&& function_exists( 'xprofile_delete_field_data' );
	}

	/**
	 * The message every refusal carries when BuddyPress is not active.
	 */
	public static function unavailable_message(): string {
		return __( 'BuddyPress with its Extended Profiles component is not active on this site, so xprofile fields cannot be written. Activate BuddyPress or map the attribute to a user field or "meta:<key>".', 'usersync' );
	}

	/**
	 * The field name of a target (`xprofile:Field Name` → `Field Name`), or null.
	 *
	 * @param string $target Attribute map target.
	 */
	public static function field_of_target( string $target ): ?string {
		if ( 0 !== strpos( $target, self::TARGET_PREFIX ) ) {
			return null;
		}
		$name = trim( substr( $target, strlen( self::TARGET_PREFIX ) ) );
		return '' === $name ? null : $name;
	}

	/**
	 * The id of a profile field by name, or 0 when there is none (or no BuddyPress).
	 *
	 * @param string $name Field name.
	 */
	public static function field_id( string $name ): int {
		return self::is_available() ? (int) xprofile_get_field_id_from_name( $name ) : 0;
	}

	/**
	 * The outbox attribute of a profile field by id (`xprofile:Field Name`), or null when
	 * BuddyPress does not know the field.
	 *
	 * @param int $field_id Field id.
	 */
	public static function target_of_field( int $field_id ): ?string {
		if ( $field_id <= 0 || ! function_exists( 'xprofile_get_field' ) ) {
			return null;
		}
		$field = xprofile_get_field( $field_id, null, false );
		$name  = is_object( $field ) && isset( $field->name ) ? trim( (string) $field->name ) : '';
		return '' === $name ? null : self::TARGET_PREFIX . $name;
	}

	/**
	 * A user's value of a field as text, as it was sent and as BuddyPress shows it ('' when
	 * empty), or null without BuddyPress.
	 *
	 * @param int    $user_id User id.
	 * @param string $name    Field name.
	 */
	public static function get( int $user_id, string $name ): ?string {
		$field_id = self::field_id( $name );
		if ( ! $field_id ) {
			return null;
		}
		// The stored value, unformatted: xprofile_get_field_data() would format it for display
		// (links, paragraphs).
		$value = class_exists( 'BP_XProfile_ProfileData' )
			? maybe_unserialize( \BP_XProfile_ProfileData::get_value_byid( $field_id, $user_id ) )
			: xprofile_get_field_data( $field_id, $user_id, 'comma' );
		if ( is_array( $value ) ) {
			return implode( ', ', array_map( static fn( $item ): string => is_scalar( $item ) ? self::as_sent( (string) $item ) : '', $value ) );
		}
		return is_scalar( $value ) ? self::as_sent( (string) $value ) : '';
	}

	/**
	 * A stored value as text: BuddyPress saves values through kses (which writes `&` as
	 * `&amp;`) and strips slashes when it reads them, and its profile pages show the entities
	 * as the characters they stand for.
	 *
	 * @param string $stored Stored value.
	 */
	public static function as_sent( string $stored ): string {
		return html_entity_decode( stripslashes( $stored ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	}

	/**
	 * A value as it is compared with what as_sent() reads: BuddyPress trims what it saves.
	 *
	 * @param string $value Value.
	 */
	public static function normalize( string $value ): string {
		return trim( $value );
	}

	/**
	 * What set() hands BuddyPress: the text with `&`, `<` and `>` as entities, so that its kses
	 * filter keeps every character (it would drop a lone `<` and what follows), slashed as
	 * BuddyPress's own profile form sends values. as_sent() reads it back as it was.
	 *
	 * @param string $value Text.
	 */
	private static function for_buddypress( string $value ): string {
		return wp_slash( htmlspecialchars( $value, ENT_NOQUOTES | ENT_SUBSTITUTE, 'UTF-8' ) );
	}

	/**
	 * Writes (or with null clears) a user's value of a field.
	 *
	 * @param int         $user_id User id.
	 * @param string      $name    Field name.
	 * @param string|null $value   Value.
	 * @throws Operation_Error When BuddyPress refuses the value.
	 */
	public static function set( int $user_id, string $name, ?string $value ): void {
		$field_id = self::field_id( $name );
		if ( ! $field_id ) {
			throw self::unknown_field( $name );
		}
		if ( null === $value || '' === $value ) {
			xprofile_delete_field_data( $field_id, $user_id );
			return;
		}
		if ( ! xprofile_set_field_data( $field_id, $user_id, self::for_buddypress( $value ) ) ) {
			/* translators: 1: value, 2: field name */
			throw Operation_Error::invalid( 'usersync_invalid_xprofile_value', sprintf( __( 'BuddyPress refused "%1$s" for the profile field "%2$s".', 'usersync' ), $value, $name ) );
		}
	}

	/**
	 * The error for a field that does not exist.
	 *
	 * @param string $name Field name.
	 */
	public static function unknown_field( string $name ): Operation_Error {
		/* translators: %s: field name */
		return Operation_Error::invalid( 'usersync_unknown_xprofile_field', sprintf( __( 'There is no BuddyPress profile field named "%s".', 'usersync' ), $name ) );
	}
}
