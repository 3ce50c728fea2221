<?php
/**
 * Plugin Name:       UserSync
 * Plugin URI:        https://github.com/usersync/usersync
 * Description:       User provisioning and data synchronization: SCIM 2.0 from your identity provider, Microsoft Graph, WordPress-to-WordPress and Salesforce, through a companion sidecar service.
 * Version:           0.1.0
 * Requires at least: 6.1
 * Tested up to:      6.6
 * Requires PHP:      8.0
 * Author:            UserSync contributors
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       usersync
 *
 * @package UserSync
 */

defined( 'ABSPATH' ) || exit;

define( 'USERSYNC_VERSION', '0.1.0' );
define( 'USERSYNC_DB_VERSION', '4' );
define( 'USERSYNC_FILE', __FILE__ );
define( 'USERSYNC_DIR', __DIR__ );
define( 'USERSYNC_URL', plugin_dir_url( __FILE__ ) );

/*
 * Class files follow the WordPress naming convention: UserSync\REST\Users_Controller lives in
 * includes/rest/class-users-controller.php.
 */
spl_autoload_register(
	static function ( string $class_name ): void {
		if ( 0 !== strpos( $class_name, 'UserSync\\' ) ) {
			return;
		}
		$parts = explode( '\\', substr( $class_name, strlen( 'UserSync\\' ) ) );
		$class = array_pop( $parts );
		$dir   = $parts ? strtolower( implode( '/', $parts ) ) . '/' : '';
		$file  = USERSYNC_DIR . '/includes/' . $dir . 'class-' . strtolower( str_replace( '_', '-', $class ) ) . '.php';
		if ( is_readable( $file ) ) {
			require $file;
		}
	}
);

register_activation_hook( __FILE__, array( 'UserSync\\Installer', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'UserSync\\Installer', 'deactivate' ) );

require USERSYNC_DIR . '/includes/hooks.php';
