/**
 * Label/value pairs as a description list.
 */

/**
 * Internal dependencies
 */
import type { DetailListProps } from './types';

export default function DetailList({ items }: DetailListProps) {
  return (
    <dl className="usersync-details">
      {items.map((item) => (
        <div className="usersync-details__row" key={item.key}>
          <dt>{item.label}</dt>
          <dd>{item.value}</dd>
        </div>
      ))}
    </dl>
  );
}
