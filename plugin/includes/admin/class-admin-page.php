<?php
/**
 * Users → UserSync: the host page of the settings app.
 *
 * @package UserSync
 */

namespace UserSync\Admin;

use UserSync\Installer;
use UserSync\Plugin;

defined( 'ABSPATH' ) || exit;

/**
 * Adds the page, and loads the React settings app built into plugin/build/.
 */
class Admin_Page {

	public const SLUG   = 'usersync';
	public const HANDLE = 'usersync-admin';

	/**
	 * Hook suffix of the page, set when the menu is built.
	 *
	 * @var string
	 */
	private string $hook_suffix = '';

	/**
	 * admin_menu: Users → UserSync.
	 */
	public function add_menu(): void {
		$suffix            = add_users_page(
			__( 'UserSync', 'usersync' ),
			__( 'UserSync', 'usersync' ),
			Installer::MANAGE_CAP,
			self::SLUG,
			array( $this, 'render' )
		);
		$this->hook_suffix = is_string( $suffix ) ? $suffix : '';
	}

	/**
	 * admin_enqueue_scripts: the app and what it needs, on this page only.
	 *
	 * @param string $hook_suffix Current admin page.
	 */
	public function enqueue( $hook_suffix ): void {
		if ( '' === $this->hook_suffix || $hook_suffix !== $this->hook_suffix ) {
			return;
		}
		$asset_file = USERSYNC_DIR . '/build/index.asset.php';
		if ( ! is_readable( $asset_file ) ) {
			return;
		}
		$asset = require $asset_file;
		$deps  = isset( $asset['dependencies'] ) && is_array( $asset['dependencies'] ) ? $asset['dependencies'] : array();
		$ver   = isset( $asset['version'] ) ? (string) $asset['version'] : USERSYNC_VERSION;

		self::register_jsx_runtime_shim();

		wp_register_script( self::HANDLE, USERSYNC_URL . 'build/index.js', $deps, $ver, true );
		wp_set_script_translations( self::HANDLE, 'usersync' );
		wp_add_inline_script(
			self::HANDLE,
			'window.usersyncAdmin = ' . wp_json_encode(
				array(
					'restNamespace' => 'usersync/v1',
					'version'       => USERSYNC_VERSION,
					'scimUrl'       => Plugin::scim_url(),
				)
			) . ';',
			'before'
		);
		wp_enqueue_script( self::HANDLE );

		if ( is_readable( USERSYNC_DIR . '/build/index.css' ) ) {
			wp_enqueue_style( self::HANDLE, USERSYNC_URL . 'build/index.css', array( 'wp-components' ), $ver );
		}
	}

	/**
	 * WordPress before 6.6 has React 17 and no `react-jsx-runtime` script, which builds
	 * using the automatic JSX runtime depend on. This shim provides it on top of
	 * React.createElement, only when WordPress does not.
	 */
	public static function register_jsx_runtime_shim(): void {
		if ( wp_script_is( 'react-jsx-runtime', 'registered' ) ) {
			return;
		}
		wp_register_script(
			'react-jsx-runtime',
			USERSYNC_URL . 'assets/js/react-jsx-runtime.js',
			array( 'react' ),
			USERSYNC_VERSION,
			true
		);
	}

	/**
	 * The page: a mount point for the app, or a notice when it is not built.
	 */
	public function render(): void {
		if ( ! current_user_can( Installer::MANAGE_CAP ) ) {
			wp_die( esc_html__( 'Sorry, you are not allowed to manage UserSync.', 'usersync' ) );
		}
		echo '<div class="wrap">';
		if ( ! is_readable( USERSYNC_DIR . '/build/index.asset.php' ) ) {
			echo '<h1>' . esc_html__( 'UserSync', 'usersync' ) . '</h1>';
			echo '<div class="notice notice-error"><p>';
			printf(
				/* translators: %s: command */
				esc_html__( 'The UserSync settings app is not built. Run %s in the plugin\'s source checkout, then reload this page.', 'usersync' ),
				'<code>npm run build</code>'
			);
			echo '</p></div>';
		}
		echo '<div id="usersync-admin-root"></div>';
		echo '</div>';
	}
}
