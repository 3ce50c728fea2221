<?php
/**
 * Installs a test site from the command line, in two steps that each need a fresh bootstrap:
 *
 *   php install.php install   wp_install(), site URL, pretty permalinks
 *   php install.php setup     activate the plugin (its activation hook runs), create the service
 *                             user and Application Passwords for it and for the admin
 *
 * Reads its settings as JSON from the USERSYNC_INSTALL environment variable and prints one line
 * `USERSYNC_RESULT <json>` on success; on failure prints the reason to stderr and exits 1.
 *
 * @package UserSync
 */

$usersync_step   = $argv[1] ?? '';
$usersync_config = json_decode( (string) getenv( 'USERSYNC_INSTALL' ), true );
if ( ! is_array( $usersync_config ) || ! in_array( $usersync_step, array( 'install', 'setup' ), true ) ) {
	fwrite( STDERR, "usage: USERSYNC_INSTALL='{…}' php install.php install|setup\n" );
	exit( 1 );
}

/**
 * Stops with a message on stderr.
 *
 * @param string $message What went wrong.
 */
function usersync_stack_fail( $message ) {
	fwrite( STDERR, $message . "\n" );
	exit( 1 );
}

$usersync_url_parts     = parse_url( $usersync_config['url'] );
$_SERVER['HTTP_HOST']   = $usersync_url_parts['host'] . ( isset( $usersync_url_parts['port'] ) ? ':' . $usersync_url_parts['port'] : '' );
$_SERVER['SERVER_NAME'] = $usersync_url_parts['host'];
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['HTTPS']       = 'off';

if ( 'install' === $usersync_step ) {
	define( 'WP_INSTALLING', true );
}

require $usersync_config['wpDir'] . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
require_once ABSPATH . 'wp-admin/includes/plugin.php';
require_once ABSPATH . 'wp-admin/includes/user.php';

// Anything a plugin prints while loading or activating must not mix with the result line.
ob_start();

if ( 'install' === $usersync_step ) {
	add_filter( 'pre_wp_mail', '__return_true' );
	$usersync_installed = wp_install(
		$usersync_config['title'],
		$usersync_config['adminUser'],
		$usersync_config['adminEmail'],
		false,
		'',
		wp_slash( $usersync_config['adminPassword'] )
	);
	if ( empty( $usersync_installed['user_id'] ) ) {
		usersync_stack_fail( 'wp_install() did not create the administrator' );
	}
	update_option( 'siteurl', $usersync_config['url'] );
	update_option( 'home', $usersync_config['url'] );
	update_option( 'blog_public', '0' );
	global $wp_rewrite;
	$wp_rewrite->set_permalink_structure( '/%postname%/' );
	$wp_rewrite->flush_rules( false );
	$usersync_result = array( 'adminId' => (int) $usersync_installed['user_id'] );
} else {
	$usersync_plugin = 'usersync/usersync.php';
	if ( ! file_exists( WP_PLUGIN_DIR . '/' . $usersync_plugin ) ) {
		usersync_stack_fail( 'The plugin is missing: ' . WP_PLUGIN_DIR . '/' . $usersync_plugin . ' does not exist.' );
	}
	$usersync_activated = activate_plugin( $usersync_plugin, '', false, false );
	if ( is_wp_error( $usersync_activated ) ) {
		usersync_stack_fail( 'Activating the plugin failed: ' . $usersync_activated->get_error_message() );
	}
	if ( ! is_plugin_active( $usersync_plugin ) ) {
		usersync_stack_fail( 'The plugin is not active after activate_plugin().' );
	}
	if ( ! get_role( 'usersync_service' ) ) {
		usersync_stack_fail( 'Activating the plugin did not create the usersync_service role.' );
	}

	$usersync_admin = get_user_by( 'login', $usersync_config['adminUser'] );
	if ( ! $usersync_admin ) {
		usersync_stack_fail( 'The administrator does not exist; run the install step first.' );
	}
	$usersync_service_id = wp_insert_user(
		array(
			'user_login'   => $usersync_config['serviceUser'],
			'user_pass'    => wp_generate_password( 32, true, true ),
			'user_email'   => $usersync_config['serviceUser'] . '@example.invalid',
			'display_name' => 'UserSync service',
			'role'         => 'usersync_service',
		)
	);
	if ( is_wp_error( $usersync_service_id ) ) {
		usersync_stack_fail( 'Creating the service user failed: ' . $usersync_service_id->get_error_message() );
	}

	$usersync_passwords = array();
	foreach ( array(
		'service' => array( $usersync_service_id, 'UserSync sidecar' ),
		'admin'   => array( $usersync_admin->ID, 'UserSync tests' ),
	) as $usersync_key => $usersync_owner ) {
		$usersync_created = WP_Application_Passwords::create_new_application_password( $usersync_owner[0], array( 'name' => $usersync_owner[1] ) );
		if ( is_wp_error( $usersync_created ) ) {
			usersync_stack_fail( 'Creating an Application Password failed: ' . $usersync_created->get_error_message() );
		}
		$usersync_passwords[ $usersync_key ] = $usersync_created[0];
	}

	$usersync_result = array(
		'serviceUserId'       => (int) $usersync_service_id,
		'serviceAppPassword'  => $usersync_passwords['service'],
		'adminAppPassword'    => $usersync_passwords['admin'],
		'pluginVersion'       => get_plugin_data( WP_PLUGIN_DIR . '/' . $usersync_plugin, false, false )['Version'],
		'wordpressVersion'    => get_bloginfo( 'version' ),
	);
}

$usersync_noise = ob_get_clean();
if ( '' !== trim( (string) $usersync_noise ) ) {
	fwrite( STDERR, $usersync_noise );
}
echo 'USERSYNC_RESULT ' . wp_json_encode( $usersync_result ) . "\n";
