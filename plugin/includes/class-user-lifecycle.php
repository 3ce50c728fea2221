<?php
/**
 * The lifecycle of a user a connection provisions: disable, reactivate, unlink, delete.
 *
 * @package UserSync
 */

namespace UserSync;

use WP_Session_Tokens;
use WP_User;

defined( 'ABSPATH' ) || exit;

/**
 * The lifecycle seam of the user writer: deprovision and delete operations as the policy
 * says (disable, unlink, delete at once or after a grace period), reactivation, and the
 * disable and restore steps an update may take. Writes go through the writer's envelope
 * (one transaction and audit row per operation).
 */
final class User_Lifecycle {

	/**
	 * Connection slug.
	 *
	 * @var string
	 */
	private string $connection;

	/**
	 * Audit source.
	 *
	 * @var string
	 */
	private string $source;

	/**
	 * Run id for the audit log.
	 *
	 * @var string|null
	 */
	private ?string $run_id;

	/**
	 * Configuration.
	 *
	 * @var array<string, mixed>
	 */
	private array $config;

	/**
	 * Role map.
	 *
	 * @var Role_Mapper
	 */
	private Role_Mapper $roles;

	/**
	 * The writer's transaction (see User_Writer::transaction()).
	 *
	 * @var callable
	 */
	private $transaction;

	/**
	 * The writer's audit (see User_Writer::audit()).
	 *
	 * @var callable
	 */
	private $audit;

	/**
	 * Drops a login, email and external id (lowercase; '' for none) from the batch's index of
	 * taken values.
	 *
	 * @var callable
	 */
	private $forget;

	/**
	 * Constructor.
	 *
	 * @param string               $connection  Connection slug.
	 * @param string               $source      Audit source.
	 * @param string|null          $run_id      Run id.
	 * @param array<string, mixed> $config      Configuration.
	 * @param Role_Mapper          $roles       Role map.
	 * @param callable             $transaction The writer's transaction.
	 * @param callable             $audit       The writer's audit.
	 * @param callable             $forget      See $forget.
	 */
	public function __construct( string $connection, string $source, ?string $run_id, array $config, Role_Mapper $roles, callable $transaction, callable $audit, callable $forget ) {
		$this->connection  = $connection;
		$this->source      = $source;
		$this->run_id      = $run_id;
		$this->config      = $config;
		$this->roles       = $roles;
		$this->transaction = $transaction;
		$this->audit       = $audit;
		$this->forget      = $forget;
	}

	/**
	 * A deprovision or delete operation, as the policy says: under "disable" the user is
	 * disabled (and a deleted one unlinked); under "delete" it is deleted at once, or, with a
	 * grace period, disabled the same way now and deleted by the daily job once due (see
	 * Deprovision_Grace).
	 *
	 * @param string  $action 'deprovision' (gone from the source for now: stays linked, so its
	 *                        source can enable it again) or 'delete' (the resource is gone).
	 * @param WP_User $user   User.
	 * @param bool    $purge  A delete the connection's own removal policy asks for (e.g. a
	 *                        Salesforce object map's deletePolicy.pull "delete"): the user is
	 *                        deleted at once, whatever the site's action, its content going
	 *                        as the site's reassign rule says.
	 * @return array{status: string, user_id: ?int}
	 * @throws Operation_Error When the user may not be deleted or the write fails.
	 */
	public function deprovision( string $action, WP_User $user, bool $purge = false ): array {
		if ( $purge && 'delete' === $action ) {
			return $this->delete_user( $user );
		}
		$policy = $this->config['deprovision'];
		$due    = null;
		if ( 'delete' === $policy['action'] ) {
			if ( $policy['graceDays'] <= 0 ) {
				return $this->delete_user( $user );
			}
			// Refused now rather than at the deadline: the job would refuse it then.
			$this->check_deletable( $user, 'disable' );
			$due = Deprovision_Grace::deadline( $policy['graceDays'] );
		}
		return 'delete' === $action ? $this->unlink_and_disable( $user, $due ) : $this->disable_only( $user, $due );
	}

	/**
	 * Deprovision under the "disable" policy (and the grace period of the "delete" policy).
	 *
	 * @param WP_User  $user User.
	 * @param int|null $due  Deadline of the deletion to schedule, if any.
	 * @return array{status: string, user_id: int}
	 */
	private function disable_only( WP_User $user, ?int $due = null ): array {
		$id       = (int) $user->ID;
		$disabled = Login_Guard::is_disabled( $id );
		// A deletion already pending keeps its deadline.
		$schedule = null !== $due && null === Deprovision_Grace::due( $id );
		if ( $disabled && ! $schedule ) {
			( $this->audit )( 'disable', $id, $user->user_login, array(), 'skipped', null );
			return array(
				'status'  => 'unchanged',
				'user_id' => $id,
			);
		}
		$fields = $disabled ? array() : array( 'active', 'roles' );
		if ( $schedule ) {
			$fields[] = Deprovision_Grace::scheduled_field( $due );
		}
		return ( $this->transaction )(
			'disable',
			$id,
			$user->user_login,
			$fields,
			function () use ( $user, $id, $disabled, $schedule, $due ): array {
				if ( ! $disabled ) {
					$this->disable( $user );
				}
				if ( $schedule ) {
					Deprovision_Grace::schedule_user( $id, $due, $this->connection, $this->source, $this->run_id );
				}
				return array(
					'status'  => 'disabled',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
	}

	/**
	 * Delete under the "disable" policy (and the grace period of the "delete" policy): the user
	 * stays, disabled, but is no longer linked to this connection (the resource is gone for it).
	 *
	 * @param WP_User  $user User.
	 * @param int|null $due  Deadline of the deletion to schedule, if any.
	 * @return array{status: string, user_id: int}
	 */
	private function unlink_and_disable( WP_User $user, ?int $due = null ): array {
		$id       = (int) $user->ID;
		$link     = (string) get_user_meta( $id, Connection::link_key( $this->connection ), true );
		$schedule = null !== $due && null === Deprovision_Grace::due( $id );
		$fields   = array( 'link' );
		if ( ! Login_Guard::is_disabled( $id ) ) {
			$fields = array( 'active', 'roles', 'link' );
		}
		if ( $schedule ) {
			$fields[] = Deprovision_Grace::scheduled_field( $due );
		}
		$result = ( $this->transaction )(
			'disable',
			$id,
			$user->user_login,
			$fields,
			function () use ( $user, $id, $schedule, $due, $link ): array {
				if ( ! Login_Guard::is_disabled( $id ) ) {
					$this->disable( $user );
				}
				// Remembered, so that the connection may provision the person into it again.
				User_Meta_Writer::write_meta( $id, self::unlinked_key( $this->connection ), $link );
				User_Meta_Writer::write_meta( $id, Connection::link_key( $this->connection ), null );
				User_Meta_Writer::write_meta( $id, Connection::scim_key( $this->connection ), null );
				User_Meta_Writer::write_meta( $id, Connection::source_login_key( $this->connection ), null );
				Plugin::groups()->remove_user_from_connection( $id, $this->connection );
				if ( $schedule ) {
					Deprovision_Grace::schedule_user( $id, $due, $this->connection, $this->source, $this->run_id );
				}
				return array(
					'status'  => 'deleted',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
		( $this->forget )( '', '', $link );
		return $result;
	}

	/**
	 * Deletes a user, reassigning their content as the policy says.
	 *
	 * @param WP_User $user User.
	 * @return array{status: string, user_id: null}
	 * @throws Operation_Error When the reassign user is unusable or deletion fails.
	 */
	public function delete_user( WP_User $user ): array {
		$id       = (int) $user->ID;
		$reassign = $this->config['deprovision']['reassignTo'];
		$this->check_deletable( $user, 'delete' );
		$login = strtolower( $user->user_login );
		$email = strtolower( $user->user_email );
		$link  = (string) get_user_meta( $id, Connection::link_key( $this->connection ), true );

		$result = ( $this->transaction )(
			'delete',
			$id,
			$user->user_login,
			array(),
			static function () use ( $id, $reassign ): array {
				if ( ! wp_delete_user( $id, $reassign ) ) {
					throw new Operation_Error( 500, 'usersync_write_failed', __( 'WordPress could not delete the user.', 'usersync' ) );
				}
				return array(
					'status'  => 'deleted',
					'user_id' => null,
				);
			},
			static fn(): array => array( $id )
		);
		( $this->forget )( $login, $email, $link );
		return $result;
	}

	/**
	 * Refuses, audited, to delete a user the policy may not delete (see
	 * Deprovision_Grace::reassign_problem()).
	 *
	 * @param WP_User $user   User.
	 * @param string  $action Audit action of the refusal.
	 * @throws Operation_Error When the user may not be deleted.
	 */
	public function check_deletable( WP_User $user, string $action ): void {
		$message = Deprovision_Grace::reassign_problem( $this->config['deprovision'], (int) $user->ID );
		if ( null !== $message ) {
			( $this->audit )( $action, (int) $user->ID, $user->user_login, array(), 'failure', $message );
			throw new Operation_Error( 409, 'usersync_invalid_reassign', $message );
		}
	}

	/**
	 * Reactivates a disabled user.
	 *
	 * @param WP_User $user User.
	 * @return array{status: string, user_id: int}
	 */
	public function reactivate( WP_User $user ): array {
		$id = (int) $user->ID;
		if ( ! Login_Guard::is_disabled( $id ) ) {
			( $this->audit )( 'enable', $id, $user->user_login, array(), 'skipped', null );
			return array(
				'status'  => 'unchanged',
				'user_id' => $id,
			);
		}
		return ( $this->transaction )(
			'enable',
			$id,
			$user->user_login,
			array( 'active', 'roles' ),
			function () use ( $user, $id ): array {
				$this->restore( $user );
				return array(
					'status'  => 'reactivated',
					'user_id' => $id,
				);
			},
			static fn(): array => array( $id )
		);
	}

	/**
	 * Disables a user: remembers and removes the roles, ends every session, marks disabled.
	 *
	 * @param WP_User $user User.
	 */
	public function disable( WP_User $user ): void {
		User_Meta_Writer::write_meta( (int) $user->ID, 'usersync_disabled_roles', array_values( $user->roles ) );
		$user->set_role( '' );
		WP_Session_Tokens::get_instance( $user->ID )->destroy_all();
		User_Meta_Writer::write_meta( (int) $user->ID, 'usersync_disabled', '1' );
	}

	/**
	 * Reactivates a user with the roles remembered at disable time (or the default role). A
	 * user enabled again by a source is provisioned again: a pending deletion is cancelled.
	 *
	 * @param WP_User $user User.
	 */
	public function restore( WP_User $user ): void {
		if ( Deprovision_Grace::cancel( (int) $user->ID ) ) {
			( $this->audit )( 'update', (int) $user->ID, $user->user_login, array( Deprovision_Grace::CANCELLED_FIELD ), 'success', null );
		}
		$roles = Role_Mapper::effective_roles( $user );
		if ( ! $roles ) {
			$roles = $this->roles->default_roles();
		}
		User_Meta_Writer::write_meta( (int) $user->ID, 'usersync_disabled', null );
		User_Meta_Writer::write_meta( (int) $user->ID, 'usersync_disabled_roles', null );
		Role_Mapper::apply( get_userdata( $user->ID ), $roles );
	}

	/**
	 * Meta key of the record a connection keeps on an account it unlinked (SCIM DELETE under
	 * the "disable" policy): the external id it had ('' for none).
	 *
	 * @param string $connection Connection slug.
	 */
	public static function unlinked_key( string $connection ): string {
		return 'usersync_unlinked_' . $connection;
	}
}
