<?php
/**
 * Checks of attribute map rows with the transform "template": saved and read back through
 * usersync/v1/config, and every malformed or misplaced template refused next to its field.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Plugin;

/**
 * The first administrator.
 */
function template_admin(): int {
	return (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
}

/**
 * An attribute map row.
 *
 * @param array<string, mixed> $fields Fields that differ from a plain inbound row.
 * @return array<string, mixed>
 */
function template_row( array $fields ): array {
	return array_merge(
		array(
			'source'    => '',
			'target'    => 'display_name',
			'direction' => 'inbound',
			'transform' => 'template',
			'default'   => null,
		),
		$fields
	);
}

/**
 * A map with a login, plus the given rows (from index 1).
 *
 * @param array<int, array<string, mixed>> $rows Rows.
 * @return array<int, array<string, mixed>>
 */
function template_map( array $rows ): array {
	return array_merge(
		array(
			array(
				'source'    => 'userName',
				'target'    => 'user_login',
				'direction' => 'both',
				'transform' => 'none',
				'default'   => null,
			),
		),
		$rows
	);
}

check(
	'config: template rows are saved and read back as sent',
	static function (): void {
		$admin = template_admin();
		$map   = array(
			template_row(
				array(
					'target'   => 'user_login',
					'template' => '{name.givenName}.{name.familyName}',
				)
			),
			array(
				'source'    => 'emails[primary].value',
				'target'    => 'user_email',
				'direction' => 'both',
				'transform' => 'none',
				'default'   => null,
			),
			template_row(
				array(
					'target'   => 'meta:mailbox',
					'template' => '{ userName }@example.org',
					'default'  => 'nobody@example.org',
				)
			),
			template_row(
				array(
					'target'   => 'display_name',
					'template' => '{name.familyName}, {name.givenName} ({urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department}) — {phoneNumbers[type eq "work"].value}',
				)
			),
			template_row(
				array(
					'target'   => 'meta:office',
					'template' => '{urn:usersync:graph:User:officeLocation}/{addresses[type eq "work"].locality}',
				)
			),
		);

		$saved = rest( $admin, 'PUT', '/config', array( 'attributeMap' => $map ) );
		same( 200, $saved['status'], 'saved: ' . wp_json_encode( $saved['data'] ) );
		same( $map, $saved['data']['attributeMap'], 'the answer is the map as sent' );
		same( $map, rest( $admin, 'GET', '/config' )['data']['attributeMap'], 'read back as sent' );
		same( $map, Plugin::config()->get()['attributeMap'], 'stored as sent' );
		ok( ! array_key_exists( 'template', $saved['data']['attributeMap'][1] ), 'a row without a template shows no template key' );

		// A null template on another transform is the same as none.
		$with_null                = template_map( array() );
		$with_null[0]['template'] = null;
		$answer                   = rest( $admin, 'PUT', '/config', array( 'attributeMap' => $with_null ) );
		same( 200, $answer['status'], 'null template on a plain row: ' . wp_json_encode( $answer['data'] ) );
		ok( ! array_key_exists( 'template', $answer['data']['attributeMap'][0] ), 'no template key kept' );
	}
);

check(
	'config: a malformed or misplaced template is refused next to its field, nothing saved',
	static function (): void {
		$admin  = template_admin();
		$before = rest( $admin, 'GET', '/config' )['data']['attributeMap'];

		// Name => [row at index 1, field that is named, what the message says].
		$cases = array(
			'empty template'             => array( template_row( array( 'template' => '  ' ) ), 'template', 'Enter the template' ),
			'no template at all'         => array( template_row( array() ), 'template', 'Enter the template' ),
			'unclosed brace'             => array( template_row( array( 'template' => '{name.givenName}.{name.familyName' ) ), 'template', 'the { at character 18 is not closed by a }' ),
			'stray closing brace'        => array( template_row( array( 'template' => 'name.givenName}' ) ), 'template', 'the } at character 15 has no {' ),
			'brace inside a placeholder' => array( template_row( array( 'template' => '{name.{givenName}}' ) ), 'template', 'the { at character 1 is not closed by a } before the next {' ),
			'empty placeholder'          => array( template_row( array( 'template' => '{userName}.{ }' ) ), 'template', 'empty placeholder {}' ),
			'unknown attribute'          => array( template_row( array( 'template' => '{givenName}.{familyName}' ) ), 'template', 'in the placeholder {givenName}: Unknown attribute "givenName"' ),
			'unknown sub-attribute'      => array( template_row( array( 'template' => '{name.givenNam}' ) ), 'template', '"name" has no sub-attribute "givenNam"' ),
			'malformed path'             => array( template_row( array( 'template' => '{user name}' ) ), 'template', 'in the placeholder {user name}: Write an attribute path' ),
			'no placeholder'             => array( template_row( array( 'template' => 'Staff' ) ), 'template', 'names no attribute' ),
			'written back'               => array( template_row( array( 'template' => '{userName}', 'direction' => 'both' ) ), 'direction', 'cannot be split back' ),
			'outbound only'              => array( template_row( array( 'template' => '{userName}', 'direction' => 'outbound' ) ), 'direction', 'cannot be split back' ),
			'profile picture'            => array( template_row( array( 'template' => 'https://img.example/{userName}.png', 'target' => 'avatar' ) ), 'transform', 'profile pictures come from the source' ),
			'source as well'             => array( template_row( array( 'template' => '{userName}', 'source' => 'displayName' ) ), 'source', 'leave the source attribute empty' ),
			'template without transform' => array( template_row( array( 'template' => '{userName}', 'source' => 'displayName', 'transform' => 'lowercase' ) ), 'template', 'only used with the transform "template"' ),
			'plain row without source'   => array( template_row( array( 'transform' => 'none' ) ), 'source', 'Enter the source attribute' ),
		);
		foreach ( $cases as $name => list( $row, $field, $message ) ) {
			$answer = rest( $admin, 'PUT', '/config', array( 'attributeMap' => template_map( array( $row ) ) ) );
			same( 400, $answer['status'], $name . ': status' );
			same( 'usersync_invalid_attribute_map', $answer['data']['code'], $name . ': code' );
			$params = $answer['data']['data']['params'] ?? array();
			same( array( "attributeMap[1][$field]" ), array_keys( $params ), $name . ': the one field named' );
			ok( false !== strpos( $params[ "attributeMap[1][$field]" ], 'Attribute map row 2: ' ), $name . ': the row is named: ' . $params[ "attributeMap[1][$field]" ] );
			ok( false !== strpos( $params[ "attributeMap[1][$field]" ], $message ), $name . ': "' . $message . '" in: ' . $params[ "attributeMap[1][$field]" ] );
		}

		$long   = template_row( array( 'template' => '{userName}' . str_repeat( 'x', 500 ) ) );
		$answer = rest( $admin, 'PUT', '/config', array( 'attributeMap' => template_map( array( $long ) ) ) );
		same( 400, $answer['status'], 'a template longer than 500 characters' );
		ok( false !== strpos( wp_json_encode( $answer['data'] ), 'attributeMap[1][template]' ), 'the schema error names the field: ' . wp_json_encode( $answer['data'] ) );

		same( $before, rest( $admin, 'GET', '/config' )['data']['attributeMap'], 'nothing saved' );
	}
);

check(
	'config: a template may fill the login, which then needs no userName row',
	static function (): void {
		$admin = template_admin();
		$map   = array( template_row( array( 'target' => 'user_login', 'template' => '{userName}' ) ) );
		same( 200, rest( $admin, 'PUT', '/config', array( 'attributeMap' => $map ) )['status'], 'a template row counts as the login' );

		$map[0]['direction'] = 'outbound';
		$answer              = rest( $admin, 'PUT', '/config', array( 'attributeMap' => $map ) );
		same( 400, $answer['status'], 'outbound template refused' );
		ok( isset( $answer['data']['data']['params']['attributeMap'] ), 'and the map has no login' );
		ok( isset( $answer['data']['data']['params']['attributeMap[0][direction]'] ), 'and the direction is named' );
	}
);
