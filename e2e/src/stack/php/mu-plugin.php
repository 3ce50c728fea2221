<?php
/**
 * Plugin Name: UserSync test stack
 * Description: Local test site settings: mail is written to a log file instead of being sent, and
 * nothing is loaded from outside (no Gravatar), since test machines have no internet.
 *
 * @package UserSync
 */

add_filter(
	'pre_wp_mail',
	static function ( $short_circuit, $atts ) {
		if ( defined( 'USERSYNC_STACK_MAIL_LOG' ) ) {
			$entry = array(
				'time'    => gmdate( 'c' ),
				'to'      => $atts['to'],
				'subject' => $atts['subject'],
				'message' => $atts['message'],
			);
			file_put_contents( USERSYNC_STACK_MAIL_LOG, wp_json_encode( $entry ) . "\n", FILE_APPEND | LOCK_EX );
		}
		return true;
	},
	10,
	2
);

// Avatars come from gravatar.com, which a test machine cannot reach.
add_filter( 'pre_option_show_avatars', '__return_zero' );
