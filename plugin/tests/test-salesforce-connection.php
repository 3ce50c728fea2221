<?php
/**
 * Checks of Salesforce connections (Connections with type "salesforce",
 * Connections\Salesforce_Settings): every refused input names its field, secrets are
 * write-only and encrypted, the sidecar gets every default filled, the settings file carries
 * no secret, and the objects relay answers only for Salesforce connections.
 *
 * @package UserSync
 */

namespace UserSync\Tests;

use UserSync\Connections;
use UserSync\Settings_Transfer;

/**
 * A valid object map, changed by $change (merged one level deep).
 *
 * @param array<string, mixed> $change Keys to replace.
 * @return array<string, mixed>
 */
function sf_map( array $change = array() ): array {
	return array_merge(
		array(
			'id'       => 'contacts',
			'sfObject' => 'Contact',
			'match'    => array(
				array(
					'kind' => 'idLookup',
					'sf'   => 'Email',
					'wp'   => 'user_email',
				),
			),
			'fields'   => array(
				array(
					'wp' => 'user_email',
					'sf' => 'Email',
				),
				array(
					'wp'        => 'last_name',
					'sf'        => 'LastName',
					'direction' => 'both',
				),
			),
		),
		$change
	);
}

/**
 * A valid creation body of a client-credentials connection.
 *
 * @param string $slug Slug.
 * @return array<string, mixed>
 */
function sf_body( string $slug ): array {
	return array(
		'name'         => 'Salesforce ' . $slug,
		'slug'         => $slug,
		'type'         => 'salesforce',
		'loginUrl'     => 'https://acme.my.salesforce.com/',
		'flow'         => 'client_credentials',
		'clientId'     => '3MVG9abcdefghijklmnop',
		'clientSecret' => 'sf-client-secret-value',
		'objectMaps'   => array( sf_map() ),
	);
}

/**
 * A fresh unencrypted RSA private key, PEM.
 */
function sf_private_key(): string {
	$key = openssl_pkey_new(
		array(
			'private_key_bits' => 2048,
			'private_key_type' => OPENSSL_KEYTYPE_RSA,
		)
	);
	openssl_pkey_export( $key, $pem );
	return $pem;
}

check(
	'salesforce connection: each bad input is refused with a 400 naming its field, nothing stored',
	static function (): void {
		$connections = new Connections();
		$slug        = connection();
		$created     = $connections->create( sf_body( $slug ) );
		ok( ! is_wp_error( $created ), 'created: ' . ( is_wp_error( $created ) ? $created->get_error_message() : '' ) );
		$before = get_option( Connections::OPTION )[ $slug ];

		$long_filter = str_repeat( "Name = 'x' OR ", 150 ) . "Name = 'y'";
		$field_row   = static fn( array $row ): array => array( 'objectMaps' => array( sf_map( array( 'fields' => array( $row ) ) ) ) );
		$cases       = array(
			'loginUrl'                                => array( 'loginUrl' => 'http://acme.my.salesforce.com' ),
			'loginUrl '                               => array( 'loginUrl' => 'https://acme.my.salesforce.com/services/oauth2/token' ),
			'loginUrl  '                              => array( 'loginUrl' => 'not a url' ),
			'loginUrl   '                             => array( 'loginUrl' => 'https://login.salesforce.com' ),
			'flow'                                    => array( 'flow' => 'password' ),
			'clientId'                                => array( 'clientId' => '' ),
			'apiVersion'                              => array( 'apiVersion' => '62' ),
			'apiVersion '                             => array( 'apiVersion' => 'v62.0' ),
			'callOptionsClient'                       => array( 'callOptionsClient' => 'has space' ),
			'callOptionsClient '                      => array( 'callOptionsClient' => str_repeat( 'a', 41 ) ),
			'apiBudgetShare'                          => array( 'apiBudgetShare' => 0.05 ),
			'apiBudgetShare '                         => array( 'apiBudgetShare' => 1.5 ),
			'realtime'                                => array( 'realtime' => 'pubsub' ),
			'objectMaps'                              => array( 'objectMaps' => array() ),
			'objectMaps '                             => array( 'objectMaps' => array_fill( 0, 11, sf_map() ) ),
			'objectMaps[1][id]'                       => array( 'objectMaps' => array( sf_map(), sf_map() ) ),
			'objectMaps[0][id]'                       => array( 'objectMaps' => array( sf_map( array( 'id' => 'Contacts!' ) ) ) ),
			'objectMaps[0][wpObject]'                 => array( 'objectMaps' => array( sf_map( array( 'wpObject' => 'post' ) ) ) ),
			'objectMaps[0][sfObject]'                 => array( 'objectMaps' => array( sf_map( array( 'sfObject' => 'Contact; DELETE' ) ) ) ),
			'objectMaps[0][recordTypeId]'             => array( 'objectMaps' => array( sf_map( array( 'recordTypeId' => '003000000000001' ) ) ) ),
			'objectMaps[0][filter]'                   => array( 'objectMaps' => array( sf_map( array( 'filter' => "LeadSource = 'Web'; DELETE" ) ) ) ),
			'objectMaps[0][filter] '                  => array( 'objectMaps' => array( sf_map( array( 'filter' => "LeadSource = 'Web' LIMIT 10" ) ) ) ),
			'objectMaps[0][filter]  '                 => array( 'objectMaps' => array( sf_map( array( 'filter' => "LeadSource = 'Web' order  by Name" ) ) ) ),
			'objectMaps[0][filter]   '                => array( 'objectMaps' => array( sf_map( array( 'filter' => 'Name != null OFFSET 5' ) ) ) ),
			'objectMaps[0][filter]    '               => array( 'objectMaps' => array( sf_map( array( 'filter' => $long_filter ) ) ) ),
			'objectMaps[0][filter]     '              => array( 'objectMaps' => array( sf_map( array( 'filter' => "Name = 'open" ) ) ) ),
			'objectMaps[0][filter]      '             => array( 'objectMaps' => array( sf_map( array( 'filter' => '(Name = null' ) ) ) ),
			'objectMaps[0][operations][create]'       => array( 'objectMaps' => array( sf_map( array( 'operations' => array( 'create' => array( 'push', 'sideways' ) ) ) ) ) ),
			'objectMaps[0][operations][delete]'       => array( 'objectMaps' => array( sf_map( array( 'operations' => array( 'delete' => 'push' ) ) ) ) ),
			'objectMaps[0][match][0][kind]'           => array( 'objectMaps' => array( sf_map( array( 'match' => array( array( 'kind' => 'fuzzy', 'sf' => 'Email' ) ) ) ) ) ),
			'objectMaps[0][match][0][wp]'             => array( 'objectMaps' => array( sf_map( array( 'match' => array( array( 'kind' => 'idLookup', 'sf' => 'Email', 'wp' => 'meta:wp_capabilities' ) ) ) ) ) ),
			'objectMaps[0][match][1][kind]'           => array( 'objectMaps' => array( sf_map( array( 'match' => array( array( 'kind' => 'externalId', 'sf' => 'A__c' ), array( 'kind' => 'externalId', 'sf' => 'B__c' ) ) ) ) ) ),
			'objectMaps[0][deletePolicy][pull]'       => array( 'objectMaps' => array( sf_map( array( 'deletePolicy' => array( 'pull' => 'trash' ) ) ) ) ),
			'objectMaps[0][deletePolicy][push]'       => array( 'objectMaps' => array( sf_map( array( 'deletePolicy' => array( 'push' => 'disable' ) ) ) ) ),
			'objectMaps[0][conflict]'                 => array( 'objectMaps' => array( sf_map( array( 'conflict' => 'first-writer-wins' ) ) ) ),
			'objectMaps[0][fields]'                   => array( 'objectMaps' => array( sf_map( array( 'fields' => array() ) ) ) ),
			'objectMaps[0][fields][0][wp]'            => $field_row( array( 'wp' => 'meta:wp_capabilities', 'sf' => 'Role__c', 'direction' => 'inbound' ) ),
			'objectMaps[0][fields][0][wp] '           => $field_row( array( 'wp' => 'meta:wp_user_level', 'sf' => 'Level__c' ) ),
			'objectMaps[0][fields][0][wp]  '          => $field_row( array( 'wp' => 'meta:usersync_disabled', 'sf' => 'Disabled__c' ) ),
			'objectMaps[0][fields][0][wp]   '         => $field_row( array( 'wp' => 'role', 'sf' => 'Role__c' ) ),
			'objectMaps[0][fields][0][wp]    '        => $field_row( array( 'wp' => 'user_pass', 'sf' => 'Password__c' ) ),
			'objectMaps[0][fields][0][wp]     '       => $field_row( array( 'wp' => 'avatar', 'sf' => 'PhotoUrl' ) ),
			'objectMaps[0][fields][0][sf]'            => $field_row( array( 'wp' => 'user_email', 'sf' => 'Email Address' ) ),
			'objectMaps[0][fields][0][sf] '           => $field_row( array( 'wp' => 'user_email', 'sf' => 'Mailing.Address.city' ) ),
			'objectMaps[0][fields][0][direction]'     => $field_row( array( 'wp' => 'user_email', 'sf' => 'Email', 'direction' => 'sideways' ) ),
			'objectMaps[0][fields][0][transform]'     => $field_row( array( 'wp' => 'user_email', 'sf' => 'Email', 'transform' => 'rot13' ) ),
			'objectMaps[0][fields][0][nulls]'         => $field_row( array( 'wp' => 'user_email', 'sf' => 'Email', 'nulls' => 'sometimes' ) ),
			'objectMaps[0][fields][0][template]'      => $field_row( array( 'wp' => 'display_name', 'sf' => 'Name', 'direction' => 'inbound', 'transform' => 'template', 'template' => '{First Name}' ) ),
			'objectMaps[0][fields][0][direction] '    => $field_row( array( 'wp' => 'display_name', 'sf' => 'Name', 'direction' => 'both', 'transform' => 'template', 'template' => '{FirstName} {LastName}' ) ),
			'objectMaps[0][fields][0][template] '     => $field_row( array( 'wp' => 'display_name', 'sf' => 'Name', 'template' => '{FirstName}' ) ),
			'objectMaps[0][fields][0][valueMap]'      => $field_row( array( 'wp' => 'meta:level', 'sf' => 'Level__c', 'transform' => 'picklist-map' ) ),
			'objectMaps[0][fields][0][valueMap] '     => $field_row( array( 'wp' => 'meta:level', 'sf' => 'Level__c', 'valueMap' => array( 'a' => 'A' ) ) ),
			'objectMaps[0][fields][0][default]'       => $field_row( array( 'wp' => 'meta:level', 'sf' => 'Level__c', 'default' => array( 'x' ) ) ),
			'objectMaps[0][fields][1][wp]'            => array(
				'objectMaps' => array(
					sf_map(
						array(
							'fields' => array(
								array( 'wp' => 'first_name', 'sf' => 'FirstName', 'direction' => 'inbound' ),
								array( 'wp' => 'First_Name', 'sf' => 'Nickname__c', 'direction' => 'both' ),
							),
						)
					),
				),
			),
			'objectMaps[0][fields][1][sf]'            => array(
				'objectMaps' => array(
					sf_map(
						array(
							'fields' => array(
								array( 'wp' => 'first_name', 'sf' => 'FirstName', 'direction' => 'outbound' ),
								array( 'wp' => 'nickname', 'sf' => 'firstname', 'direction' => 'both' ),
							),
						)
					),
				),
			),
		);
		foreach ( $cases as $field => $change ) {
			$field  = trim( $field );
			$answer = $connections->update( $slug, $change );
			ok( is_wp_error( $answer ), 'refused: ' . wp_json_encode( $change ) );
			$data = $answer->get_error_data();
			same( 400, $data['status'] ?? null, 'status of ' . wp_json_encode( $change ) );
			same( $field, $data['field'] ?? null, 'field named for ' . wp_json_encode( $change ) . ' (' . $answer->get_error_message() . ')' );
			same( $answer->get_error_message(), $data['params'][ $field ] ?? null, 'params carry the message' );
		}
		same( $before, get_option( Connections::OPTION )[ $slug ], 'nothing stored by any refused update' );

		// Accepted: the emulator on loopback over http, a filter whose words are in a literal or a subquery.
		$good = array(
			array( 'loginUrl' => 'http://127.0.0.1:8791' ),
			array( 'loginUrl' => 'http://localhost:8791/' ),
			array( 'loginUrl' => 'https://test.salesforce.com', 'flow' => 'refresh_token', 'refreshToken' => 'rt-1' ),
			array( 'objectMaps' => array( sf_map( array( 'filter' => "Description = 'ORDER BY Name LIMIT 5' AND Id IN (SELECT ContactId FROM CampaignMember LIMIT 5)" ) ) ) ),
		);
		foreach ( $good as $change ) {
			$answer = $connections->update( $slug, $change );
			ok( ! is_wp_error( $answer ), 'accepted ' . wp_json_encode( $change ) . ': ' . ( is_wp_error( $answer ) ? $answer->get_error_message() : '' ) );
		}
		$connections->delete( $slug );
	}
);

check(
	'salesforce connection: each flow needs its secrets; secrets are encrypted, write-only, kept when not given',
	static function (): void {
		$connections = new Connections();
		$slug        = connection();
		$body        = sf_body( $slug );
		unset( $body['clientSecret'] );
		$missing = $connections->create( $body );
		same( 'clientSecret', is_wp_error( $missing ) ? $missing->get_error_data()['field'] : null, 'client credentials need the client secret' );

		$jwt = array_merge( $body, array( 'flow' => 'jwt', 'username' => 'integration@acme.com' ) );
		same( 'privateKey', $connections->create( $jwt )->get_error_data()['field'] ?? null, 'jwt needs the private key' );
		$bad_key = $connections->create( $jwt + array( 'privateKey' => "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----" ) );
		same( 'privateKey', is_wp_error( $bad_key ) ? $bad_key->get_error_data()['field'] : null, 'a PEM that is no RSA key is refused' );
		$no_user = $connections->create( array_merge( $jwt, array( 'username' => '' ) ) + array( 'privateKey' => sf_private_key() ) );
		same( 'username', is_wp_error( $no_user ) ? $no_user->get_error_data()['field'] : null, 'jwt needs the username' );
		$refresh = array_merge( $body, array( 'flow' => 'refresh_token', 'clientSecret' => 'cs' ) );
		same( 'refreshToken', $connections->create( $refresh )->get_error_data()['field'] ?? null, 'refresh_token needs the refresh token' );
		same( null, get_option( Connections::OPTION )[ $slug ] ?? null, 'nothing stored by a refused create' );

		$pem     = sf_private_key();
		$created = $connections->create( $jwt + array( 'privateKey' => $pem ) );
		ok( ! is_wp_error( $created ), 'jwt connection created: ' . ( is_wp_error( $created ) ? $created->get_error_message() : '' ) );
		$raw = wp_json_encode( get_option( Connections::OPTION )[ $slug ] );
		ok( false === strpos( $raw, 'PRIVATE KEY' ), 'the option holds no clear private key' );

		$public = Connections::to_public( $created );
		same( array( 'set' => true ), $public['privateKey'], 'private key shown as set' );
		same( array( 'set' => false ), $public['clientSecret'], 'client secret shown as not set' );
		same( array( 'set' => false ), $public['refreshToken'], 'refresh token shown as not set' );
		ok( false === strpos( wp_json_encode( $public ), 'PRIVATE' ), 'to_public never carries the key' );

		// Switching flow needs the new flow's secrets; an empty secret keeps the stored one.
		$switch = $connections->update( $slug, array( 'flow' => 'refresh_token' ) );
		same( 'clientSecret', is_wp_error( $switch ) ? $switch->get_error_data()['field'] : null, 'a flow change asks for that flow\'s secrets' );
		$kept = $connections->update( $slug, array( 'name' => 'Renamed', 'privateKey' => '' ) );
		ok( ! is_wp_error( $kept ), 'update without secrets accepted' );
		$sidecar = Connections::to_sidecar( $kept );
		same( $pem, $sidecar['settings']['privateKey'], 'the sidecar gets the stored key, decrypted' );
		ok( ! isset( $sidecar['settings']['clientSecret'] ), 'no secret that was never set' );
		$connections->delete( $slug );
	}
);

check(
	'salesforce connection: the sidecar gets every default filled; Graph connections read as before',
	static function (): void {
		$connections = new Connections();
		$slug        = connection();
		$created     = $connections->create( sf_body( $slug ) );
		ok( ! is_wp_error( $created ), 'created' );
		$sidecar  = Connections::to_sidecar( $created );
		$settings = $sidecar['settings'];
		same( 'salesforce', $sidecar['type'], 'type' );
		same( 'https://acme.my.salesforce.com', $settings['loginUrl'], 'login URL without trailing slash' );
		same( 'sf-client-secret-value', $settings['clientSecret'], 'secret decrypted for the sidecar' );
		same( '62.0', $settings['apiVersion'], 'default API version' );
		same( 'usersync', $settings['callOptionsClient'], 'default call options client' );
		same( 0.8, $settings['apiBudgetShare'], 'default budget share' );
		same( true, $settings['push'], 'default push' );
		same( 'none', $settings['realtime'], 'default realtime' );
		$map = $settings['objectMaps'][0];
		same( array( 'id', 'wpObject', 'sfObject', 'recordTypeId', 'filter', 'operations', 'match', 'deletePolicy', 'conflict', 'fields' ), array_keys( $map ), 'object map keys' );
		same( 'user', $map['wpObject'], 'wpObject' );
		same( null, $map['recordTypeId'], 'recordTypeId' );
		same( '', $map['filter'], 'filter' );
		same( array( 'create' => array( 'push', 'pull' ), 'update' => array( 'push', 'pull' ), 'delete' => array() ), $map['operations'], 'operations' );
		same( array( 'pull' => 'disable', 'push' => 'ignore' ), $map['deletePolicy'], 'delete policy' );
		same( 'last-writer-wins', $map['conflict'], 'conflict' );
		same( array( array( 'kind' => 'idLookup', 'sf' => 'Email', 'wp' => 'user_email', 'caseInsensitive' => true ) ), $map['match'], 'match' );
		same(
			array(
				'wp'        => 'user_email',
				'sf'        => 'Email',
				'direction' => 'both',
				'transform' => 'none',
				'default'   => null,
				'template'  => null,
				'valueMap'  => null,
				'nulls'     => 'propagate',
			),
			$map['fields'][0],
			'a field row with every default'
		);

		// A map given partially keeps the given parts and fills the rest.
		$partial = $connections->update(
			$slug,
			array(
				'objectMaps' => array(
					sf_map(
						array(
							'operations'   => array( 'delete' => array( 'pull' ) ),
							'deletePolicy' => array( 'pull' => 'delete' ),
						)
					),
				),
			)
		);
		$map     = Connections::to_sidecar( $partial )['settings']['objectMaps'][0];
		same( array( 'create' => array( 'push', 'pull' ), 'update' => array( 'push', 'pull' ), 'delete' => array( 'pull' ) ), $map['operations'], 'operations merged' );
		same( array( 'pull' => 'delete', 'push' => 'ignore' ), $map['deletePolicy'], 'delete policy merged' );

		// Graph connections are untouched by the second type.
		$graph_slug = connection();
		$graph      = $connections->create(
			array(
				'name'         => 'Graph ' . $graph_slug,
				'slug'         => $graph_slug,
				'tenantId'     => 'contoso.onmicrosoft.com',
				'clientId'     => '11111111-2222-3333-4444-555555555555',
				'clientSecret' => 'graph-secret',
			)
		);
		ok( ! is_wp_error( $graph ), 'graph created' );
		same(
			array( 'slug', 'name', 'type', 'enabled', 'schedule', 'photos', 'tenantId', 'clientId', 'cloud', 'b2c', 'authorityUrl', 'graphUrl', 'pageSize', 'concurrency', 'batchSize', 'batchConcurrency', 'clientSecret', 'createdAt', 'modifiedAt' ),
			array_keys( Connections::to_public( $graph ) ),
			'graph public shape'
		);
		same( 'microsoft-graph', $graph['type'], 'default type' );
		ok( ! isset( Connections::to_sidecar( $graph )['settings']['objectMaps'] ), 'no Salesforce settings on a Graph connection' );

		// The settings file: no secrets of either type; a new Salesforce connection arrives disabled.
		$file  = ( new Settings_Transfer() )->export();
		$mine  = array_values( array_filter( $file['settings']['connections'], static fn( $c ) => $c['slug'] === $slug ) )[0];
		$theirs = array_values( array_filter( $file['settings']['connections'], static fn( $c ) => $c['slug'] === $graph_slug ) )[0];
		foreach ( array( 'clientSecret', 'privateKey', 'refreshToken' ) as $secret ) {
			ok( ! array_key_exists( $secret, $mine ), 'export carries no ' . $secret );
		}
		ok( ! array_key_exists( 'clientSecret', $theirs ), 'export carries no graph secret' );
		$connections->delete( $slug );
		$plan = $connections->prepare_import( array( $mine ) );
		ok( ! is_wp_error( $plan ), 'export imports back: ' . ( is_wp_error( $plan ) ? wp_json_encode( $plan->get_error_data() ) : '' ) );
		same( false, $plan['all'][ $slug ]['enabled'], 'arrives disabled' );
		same( array(), $plan['all'][ $slug ]['secrets'], 'with no secrets' );
		$refused = $connections->prepare_import( array( $mine + array( 'refreshToken' => 'x' ) ) );
		ok( is_wp_error( $refused ) && isset( $refused->get_error_data()['params']['connections[0][refreshToken]'] ), 'a file with a secret is refused' );
		$broken = $mine;
		$broken['objectMaps'][0]['fields'][0]['wp'] = 'meta:wp_capabilities';
		$refused = $connections->prepare_import( array( $broken ) );
		ok( is_wp_error( $refused ) && isset( $refused->get_error_data()['params']['connections[0][objectMaps][0][fields][0][wp]'] ), 'the import names the field path: ' . ( is_wp_error( $refused ) ? wp_json_encode( $refused->get_error_data() ) : '' ) );
		$connections->delete( $graph_slug );
	}
);

check(
	'salesforce objects relay: site admins only, Salesforce connections only',
	static function (): void {
		$admin      = (int) get_users( array( 'role' => 'administrator', 'number' => 1, 'fields' => 'ID' ) )[0];
		$subscriber = make_user( 'subscriber' );
		$slug       = connection();
		( new Connections() )->create( sf_body( $slug ) );
		$graph_slug = connection();
		( new Connections() )->create(
			array(
				'name'         => 'Graph ' . $graph_slug,
				'slug'         => $graph_slug,
				'tenantId'     => 'contoso.onmicrosoft.com',
				'clientId'     => '11111111-2222-3333-4444-555555555555',
				'clientSecret' => 'graph-secret',
			)
		);
		same( 403, rest( $subscriber, 'GET', '/connections/' . $slug . '/salesforce/objects' )['status'], 'subscribers may not list objects' );
		same( 404, rest( $admin, 'GET', '/connections/' . $graph_slug . '/salesforce/objects' )['status'], 'a Graph connection has no Salesforce objects' );
		same( 404, rest( $admin, 'GET', '/connections/ustest-none/salesforce/objects/Contact' )['status'], 'unknown connection' );
		$relayed = rest( $admin, 'GET', '/connections/' . $slug . '/salesforce/objects/Contact' );
		ok( in_array( $relayed['status'], array( 502, 503 ), true ), 'relayed to the sidecar (none reachable here): ' . wp_json_encode( $relayed ) );
		( new Connections() )->delete( $slug );
		( new Connections() )->delete( $graph_slug );
	}
);
