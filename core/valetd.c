#include <stdio.h>
int main(void)
{
	fputs("valetd: under construction\n", stderr);
	return 2;
}
