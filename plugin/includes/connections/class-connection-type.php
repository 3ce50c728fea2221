<?php
/**
 * What a kind of connection (Microsoft Graph, Salesforce, …) knows about its own settings.
 *
 * @package UserSync
 */

namespace UserSync\Connections;

use WP_Error;

defined( 'ABSPATH' ) || exit;

/**
 * Connections stores every kind of connection the same way (common fields, `settings`,
 * encrypted `secrets`); each kind says which settings it has and how they are checked, which
 * secrets it takes and what admins and the sidecar see of it.
 */
interface Connection_Type {

	/**
	 * Settings of a new connection of this kind.
	 *
	 * @return array<string, mixed>
	 */
	public function defaults(): array;

	/**
	 * Applies the admin's input onto stored settings, checked whole.
	 *
	 * @param array<string, mixed> $settings Current settings.
	 * @param array<string, mixed> $input    Input fields (flat, as the REST route takes them).
	 * @return array<string, mixed>|WP_Error The new settings, or a 400 naming the field
	 *                                       (`data.field`, every problem in `data.params`).
	 */
	public function merge( array $settings, array $input );

	/**
	 * Secrets the kind takes (write-only, stored encrypted).
	 *
	 * @return string[]
	 */
	public function secrets(): array;

	/**
	 * Secrets that must be set for these settings (the client secret, a flow's key or token).
	 *
	 * @param array<string, mixed> $settings Settings, or the input of a new connection.
	 * @return string[]
	 */
	public function required_secrets( array $settings ): array;

	/**
	 * Why a secret's value cannot be used (too long, not a private key, …), or null when it can.
	 *
	 * @param string $name  Secret.
	 * @param string $value Value given.
	 */
	public function secret_problem( string $name, string $value ): ?string;

	/**
	 * What admins see of the settings (flat, next to the common fields; no secrets).
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_public( array $settings ): array;

	/**
	 * What the sidecar gets of the settings, every default filled (secrets are added by
	 * Connections).
	 *
	 * @param array<string, mixed> $settings Stored settings.
	 * @return array<string, mixed>
	 */
	public function to_sidecar( array $settings ): array;
}
