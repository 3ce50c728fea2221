<?php
/**
 * Which source attributes an attribute map row may read.
 *
 * @package UserSync
 */

namespace UserSync;

defined( 'ABSPATH' ) || exit;

/**
 * Source paths are SCIM attribute paths of the canonical user every connector produces:
 * `userName`, `name.givenName`, `emails[primary].value`, `phoneNumbers[type eq "work"].value`,
 * `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`, and any attribute of
 * a schema extension (`urn:…:<attribute>`, e.g. the raw Graph properties). A misspelt core
 * attribute would silently map nothing, so it is refused here.
 */
final class Source_Attributes {

	/**
	 * Core User attributes (RFC 7643 §4.1) and `identities` (Azure AD B2C sign-in names),
	 * lower-cased, with the sub-attributes each accepts.
	 */
	private const CORE = array(
		'id'                => array(),
		'externalid'        => array(),
		'username'          => array(),
		'name'              => array( 'formatted', 'familyname', 'givenname', 'middlename', 'honorificprefix', 'honorificsuffix' ),
		'displayname'       => array(),
		'nickname'          => array(),
		'profileurl'        => array(),
		'title'             => array(),
		'usertype'          => array(),
		'preferredlanguage' => array(),
		'locale'            => array(),
		'timezone'          => array(),
		'active'            => array(),
		'emails'            => array( 'value', 'display', 'type', 'primary' ),
		'phonenumbers'      => array( 'value', 'display', 'type', 'primary' ),
		'ims'               => array( 'value', 'display', 'type', 'primary' ),
		'photos'            => array( 'value', 'display', 'type', 'primary' ),
		'addresses'         => array( 'formatted', 'streetaddress', 'locality', 'region', 'postalcode', 'country', 'type', 'primary' ),
		'groups'            => array( 'value', '$ref', 'display', 'type' ),
		'entitlements'      => array( 'value', 'display', 'type', 'primary' ),
		'roles'             => array( 'value', 'display', 'type', 'primary' ),
		'x509certificates'  => array( 'value', 'display', 'type', 'primary' ),
		'identities'        => array( 'signintype', 'issuer', 'issuerassignedid' ),
	);

	/** Multi-valued attributes: the only ones a `[filter]` may select from. */
	private const MULTI_VALUED = array( 'emails', 'phonenumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509certificates', 'identities' );

	/** Enterprise User extension (RFC 7643 §4.3). */
	private const ENTERPRISE_URN = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:user';

	private const ENTERPRISE = array(
		'employeenumber' => array(),
		'costcenter'     => array(),
		'organization'   => array(),
		'division'       => array(),
		'department'     => array(),
		'manager'        => array( 'value', '$ref', 'displayname' ),
	);

	/**
	 * Why a source path cannot be read, or null when it can.
	 *
	 * @param string $path Source path.
	 */
	public static function problem( string $path ): ?string {
		$path = trim( $path );
		if ( '' === $path ) {
			return __( 'Enter the source attribute.', 'usersync' );
		}

		$known = self::CORE;
		$lower = strtolower( $path );
		if ( 0 === strpos( $lower, 'urn:' ) ) {
			if ( 0 === strpos( $lower, self::ENTERPRISE_URN . ':' ) ) {
				$path  = substr( $path, strlen( self::ENTERPRISE_URN ) + 1 );
				$known = self::ENTERPRISE;
			} else {
				// Another schema extension: its attributes are whatever the source defines.
				return 1 === preg_match( '/^urn:[A-Za-z0-9][A-Za-z0-9.:_-]*:[A-Za-z_$][A-Za-z0-9_$-]*(\[[^\]]+\])?(\.[A-Za-z_$][A-Za-z0-9_$-]*)?$/', $path )
					? null
					: __( 'An extension attribute looks like urn:<schema>:<attribute>.', 'usersync' );
			}
		}

		if ( 1 !== preg_match( '/^([A-Za-z_$][A-Za-z0-9_$-]*)(\[([^\]]+)\])?(\.([A-Za-z_$][A-Za-z0-9_$-]*))?$/', $path, $parts ) ) {
			return __( 'Write an attribute path such as name.givenName, emails[primary].value or phoneNumbers[type eq "work"].value.', 'usersync' );
		}
		$attribute = strtolower( $parts[1] );
		if ( ! array_key_exists( $attribute, $known ) ) {
			/* translators: %s: attribute name */
			return sprintf( __( 'Unknown attribute "%s".', 'usersync' ), $parts[1] );
		}
		$sub = isset( $parts[5] ) ? strtolower( $parts[5] ) : '';
		if ( '' !== $sub && ! in_array( $sub, $known[ $attribute ], true ) ) {
			/* translators: 1: attribute name, 2: sub-attribute name */
			return sprintf( __( '"%1$s" has no sub-attribute "%2$s".', 'usersync' ), $parts[1], $parts[5] );
		}
		if ( ! empty( $parts[2] ) && ! in_array( $attribute, self::MULTI_VALUED, true ) ) {
			/* translators: %s: attribute name */
			return sprintf( __( '"%s" has a single value; it cannot be filtered with [ ].', 'usersync' ), $parts[1] );
		}
		return null;
	}
}
