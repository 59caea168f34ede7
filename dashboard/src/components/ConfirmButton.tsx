import { useEffect, useRef, useState, type ReactNode } from 'react';

interface Props {
  /** The button that opens the dialog. */
  label: ReactNode;
  /** What will happen, said plainly (counts, what cannot be undone). */
  message: ReactNode;
  /** The confirming button's label ("Delete 12 jobs"). */
  confirmLabel: string;
  onConfirm(): void;
  disabled?: boolean;
  busy?: boolean;
  danger?: boolean;
  className?: string;
}

/** A destructive or bulk action behind a modal confirmation dialog (focus starts on "Keep"). */
export function ConfirmButton({ label, message, confirmLabel, onConfirm, disabled, busy, danger, className }: Props) {
  const [open, setOpen] = useState(false);
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const node = dialog.current;
    if (!node) return;
    if (open && !node.open) node.showModal();
    if (!open && node.open) node.close();
  }, [open]);
  return (
    <>
      <button type="button" className={className} disabled={disabled || busy} onClick={() => setOpen(true)}>
        {label}
      </button>
      <dialog ref={dialog} className="confirm" onClose={() => setOpen(false)} aria-label="Confirm">
        <div className="confirm-message">{message}</div>
        <div className="row confirm-buttons">
          <button type="button" autoFocus onClick={() => setOpen(false)}>
            Keep
          </button>
          <button
            type="button"
            className={danger ? 'danger' : 'primary'}
            onClick={() => {
              setOpen(false);
              onConfirm();
            }}
          >
            {confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
